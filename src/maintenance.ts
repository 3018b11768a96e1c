import { sweepOverdue } from "./delivery/sweep";
import type { Env } from "./env";

/** What the cron trigger (and the local clock) runs: re-enqueue what fell out of the queue. */
export async function runMaintenance(env: Env): Promise<void> {
  const swept = await sweepOverdue(env);
  if (swept > 0) console.log(JSON.stringify({ level: "info", msg: "re-enqueued overdue deliveries", count: swept }));
}

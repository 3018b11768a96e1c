import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { runMaintenance } from "../maintenance";

/** How often the local clock sweeps (SWEEP_TICK_MS overrides it); the cron trigger runs every minute on the edge. */
const TICK_MS = 30_000;
const tick = (env: Env) => Number(env.SWEEP_TICK_MS) || TICK_MS;

/**
 * A second clock for local development, where cron triggers do not fire by themselves: a
 * singleton whose alarm runs the same maintenance as the cron trigger. Armed by the first
 * request or queue batch of each isolate; the alarm is persisted and survives a restart.
 */
export class SweepClock extends DurableObject<Env> {
  async arm(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + tick(this.env));
  }

  override async alarm(): Promise<void> {
    try {
      await runMaintenance(this.env);
    } finally {
      await this.ctx.storage.setAlarm(Date.now() + tick(this.env));
    }
  }
}

let armed = false;
/** Local development only; production has the cron trigger. */
export function armLocalClock(env: Env, ctx: ExecutionContext) {
  if (armed || env.ENVIRONMENT !== "development") return;
  armed = true;
  ctx.waitUntil(env.SWEEP_CLOCK.get(env.SWEEP_CLOCK.idFromName("clock")).arm().catch(() => (armed = false)));
}

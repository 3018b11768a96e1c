import { failRecovery, takeStaleRecoveries } from "../db/recoveries";
import type { Env } from "../env";
import { RECOVERY_GAVE_UP, RECOVERY_MAX_TRIES, RECOVERY_STALE_MS } from "./policy";

const SWEEP_LIMIT = 100;

/** Recoveries that went quiet (a lost message, a step that died): enqueued again, or failed when their tries are used up. */
export async function sweepStaleRecoveries(env: Env, now = Date.now()): Promise<{ requeued: number; failed: number }> {
  const stale = await takeStaleRecoveries(env.DB, now - RECOVERY_STALE_MS, now, SWEEP_LIMIT);
  const exhausted = stale.filter((r) => r.tries >= RECOVERY_MAX_TRIES);
  const again = stale.filter((r) => r.tries < RECOVERY_MAX_TRIES);
  for (const r of exhausted) await failRecovery(env.DB, r.id, RECOVERY_GAVE_UP);
  if (again.length > 0) await env.EXPORT_QUEUE.sendBatch(again.map((r) => ({ body: { kind: "recovery" as const, recovery_id: r.id } })));
  return { requeued: again.length, failed: exhausted.length };
}

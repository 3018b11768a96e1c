import { takeStaleExports } from "../db/exports";
import type { Env } from "../env";
import { EXPORT_MAX_ATTEMPTS, giveUpExport } from "./give-up";

/**
 * An unfinished export that has shown no sign of life for this long (claimed, a part checkpointed)
 * lost its queue message or died mid-try without a word: it is enqueued again, or failed when
 * its tries are used up. A running export reports a part at least every few seconds.
 */
export const EXPORT_STALE_MS = 10 * 60_000;
const SWEEP_LIMIT = 100;

export async function sweepStaleExports(env: Env, now = Date.now()): Promise<{ requeued: number; failed: number }> {
  const stale = await takeStaleExports(env.DB, now - EXPORT_STALE_MS, now, SWEEP_LIMIT);
  const exhausted = stale.filter((e) => e.tries >= EXPORT_MAX_ATTEMPTS);
  const again = stale.filter((e) => e.tries < EXPORT_MAX_ATTEMPTS);
  for (const e of exhausted) await giveUpExport(env, e.id);
  if (again.length > 0) await env.EXPORT_QUEUE.sendBatch(again.map((e) => ({ body: { kind: "export" as const, export_id: e.id } })));
  return { requeued: again.length, failed: exhausted.length };
}

import type { Env } from "../env";
import { enqueueDeliveries } from "./enqueue";

/**
 * A pending delivery whose attempt has been due this long is taken to be out of the queue (a
 * failed send, a consumer that never acked, a local queue lost on restart) and is enqueued
 * again. A duplicate this makes is harmless: the consumer sends each attempt's first claim only.
 */
export const STALE_AFTER_MS = 60_000;
const SWEEP_LIMIT = 1000;

/** SWEEP_STALE_MS shortens the wait in system tests; the default suits production. */
const staleAfter = (env: Env) => Number(env.SWEEP_STALE_MS) || STALE_AFTER_MS;

export async function sweepOverdue(env: Env, now = Date.now()): Promise<number> {
  const { results } = await env.DB.prepare(
    "SELECT id, attempts FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
  )
    .bind(now - staleAfter(env), SWEEP_LIMIT)
    .all<{ id: string; attempts: number }>();
  if (results.length === 0) return 0;
  // Bump the due time first, so the next sweep does not pick the same rows while these are queued.
  const stmts = results.map((r) =>
    env.DB.prepare("UPDATE deliveries SET next_attempt_at = ? WHERE id = ? AND status = 'pending' AND attempts = ?").bind(now, r.id, r.attempts),
  );
  await env.DB.batch(stmts);
  await enqueueDeliveries(env, results.map((r) => ({ delivery_id: r.id, attempt: r.attempts + 1 })));
  return results.length;
}

import type { Env } from "../env";
import { enqueueReporting } from "./enqueue";

/**
 * A pending delivery whose attempt has been due this long is taken to be out of the queue (a
 * failed send, a consumer that never acked, a local queue lost on restart) and is enqueued
 * again. A duplicate this makes is harmless: the consumer sends each attempt's first claim only.
 */
export const STALE_AFTER_MS = 60_000;
/** Rows per page: one SELECT, one D1 batch of updates, ten sendBatch calls. */
export const SWEEP_PAGE = 1000;
/**
 * A run drains a backlog page after page, up to 20 pages (20,000 deliveries) or 20 s, whichever
 * comes first. Both sit well inside one invocation's limits (a cron run or an alarm: 30 s of
 * CPU, 1,000 subrequests on the smallest paid allowance; a page costs 12, 42 if every chunk
 * needs all its retries, so 20 pages stay under 1,000), and the enqueue pacing (2,500/s) sends
 * 20,000 in 8 s. What is left waits for the next run, a minute later.
 */
export const SWEEP_MAX_PAGES = 20;
const SWEEP_BUDGET_MS = 20_000;

/** SWEEP_STALE_MS shortens the wait in system tests; the default suits production. */
const staleAfter = (env: Env) => Number(env.SWEEP_STALE_MS) || STALE_AFTER_MS;

export async function sweepOverdue(env: Env, now = Date.now()): Promise<number> {
  const started = Date.now();
  let swept = 0;
  for (let page = 0; page < SWEEP_MAX_PAGES && Date.now() - started < SWEEP_BUDGET_MS; page++) {
    const { results } = await env.DB.prepare(
      "SELECT id, attempts FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
    )
      .bind(now - staleAfter(env), SWEEP_PAGE)
      .all<{ id: string; attempts: number }>();
    if (results.length === 0) break;
    // Bump the due time first, so neither this run's next page nor the next sweep picks the same
    // rows while these are queued (and what the queue refuses is due again in STALE_AFTER_MS).
    const stmts = results.map((r) =>
      env.DB.prepare("UPDATE deliveries SET next_attempt_at = ? WHERE id = ? AND status = 'pending' AND attempts = ?").bind(now, r.id, r.attempts),
    );
    await env.DB.batch(stmts);
    const report = await enqueueReporting(env, results.map((r) => ({ delivery_id: r.id, attempt: r.attempts + 1 })));
    swept += report.sent;
    // The queue refuses (down, or over its rate even after retries): the next run tries again.
    if (report.unsent.length > 0 || results.length < SWEEP_PAGE) break;
  }
  return swept;
}

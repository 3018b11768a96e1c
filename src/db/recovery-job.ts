/**
 * The recovery job's own queries: the claim that starts a step, the page it re-sends, the
 * checkpoint written with each chunk, and the end of the step.
 *
 * What makes "once each" hold through crashes: a step takes only deliveries that ended failed or
 * skipped before the recovery began (`created_at`), and re-sending one moves its `updated_at`
 * past that, so no step of this recovery takes it again, whatever the cursor says; and the
 * cursor, with `sent`, is written in the same transaction as each chunk of re-sent deliveries
 * (src/delivery/resend.ts, `checkpoint`), so what the row says was sent is what was.
 */
import type { RecoveryRecord } from "./recoveries";

export type RecoveryJob = RecoveryRecord & {
  tries: number;
  cursor_at: number | null;
  cursor_id: string | null;
  webhook_status: "inactive" | "active" | "paused";
};

/** Another invocation holds the recovery until `leaseUntil`. */
export interface RecoveryBusy {
  busy: true;
  leaseUntil: number;
}

/**
 * Takes a recovery for one step: pending, or running (the next step, or a step that died),
 * unless another invocation holds its lease. Each claim counts a try; a step that ends well
 * hands them all back (`endStep`), so `tries` counts crashes in a row.
 */
export async function claimRecovery(d1: D1Database, id: string, now: number, leaseMs: number): Promise<RecoveryJob | RecoveryBusy | null> {
  const [claim, held] = await d1.batch([
    d1
      .prepare(
        `UPDATE recoveries SET status = 'running', tries = tries + 1, lease_until = ?3, updated_at = ?2
         WHERE id = ?1 AND status IN ('pending', 'running') AND lease_until <= ?2
         RETURNING id, organisation_id, webhook_id, status, since_at, until_at, total, sent, error, created_at, updated_at,
           tries, cursor_at, cursor_id, (SELECT w.status FROM webhooks w WHERE w.organisation_id = recoveries.organisation_id AND w.id = recoveries.webhook_id) AS webhook_status`,
      )
      .bind(id, now, now + leaseMs),
    d1.prepare("SELECT lease_until FROM recoveries WHERE id = ? AND status IN ('pending', 'running')").bind(id),
  ]);
  const row = claim!.results[0] as RecoveryJob | undefined;
  if (row) return row;
  const lease = held!.results[0] as { lease_until: number } | undefined;
  return lease ? { busy: true, leaseUntil: lease.lease_until } : null;
}

export interface Recoverable {
  id: string;
  created_at: number;
}

/** The next deliveries to re-send, after the cursor, in (created_at, id) order. */
export async function recoverablePage(d1: D1Database, job: RecoveryJob, limit: number): Promise<Recoverable[]> {
  const { results } = await d1
    .prepare(
      `SELECT id, created_at FROM deliveries INDEXED BY deliveries_recoverable
       WHERE webhook_id = ?1 AND organisation_id = ?2 AND status IN ('failed', 'skipped') AND test = 0
         AND created_at < ?3 AND (created_at, id) > (?4, ?5) AND updated_at < ?6
       ORDER BY created_at, id LIMIT ?7`,
    )
    // Before the first step the cursor sits at (since, ''): before every delivery created at `since`, after all earlier ones.
    .bind(job.webhook_id, job.organisation_id, job.until_at, job.cursor_at ?? job.since_at, job.cursor_id ?? "", job.created_at, limit)
    .all<Recoverable>();
  return results;
}

/**
 * The checkpoint that goes in the same transaction as a chunk of re-sent deliveries: the cursor
 * moves to the chunk's last delivery and `sent` grows by the rows the chunk's update changed
 * (`changes()`: the statement just before this one in the batch).
 */
export function checkpointStatement(d1: D1Database, job: RecoveryJob, last: Recoverable): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE recoveries SET cursor_at = ?1, cursor_id = ?2, sent = sent + changes(), updated_at = ?3
       WHERE organisation_id = ?4 AND id = ?5 AND status = 'running'`,
    )
    .bind(last.created_at, last.id, Date.now(), job.organisation_id, job.id);
}

/** The step ended well: the recovery is done, or waits for its next step; tries handed back, lease given up. */
export async function endStep(d1: D1Database, job: RecoveryJob, done: boolean): Promise<void> {
  await d1
    .prepare(
      `UPDATE recoveries SET status = ?1, tries = 0, lease_until = 0, updated_at = ?2
       WHERE organisation_id = ?3 AND id = ?4 AND status = 'running'`,
    )
    .bind(done ? "done" : "running", Date.now(), job.organisation_id, job.id)
    .run();
}

/** A crash this invocation caught: the next try need not wait for the lease to run out. */
export async function releaseLease(d1: D1Database, job: RecoveryJob): Promise<void> {
  await d1.prepare("UPDATE recoveries SET lease_until = 0 WHERE organisation_id = ? AND id = ?").bind(job.organisation_id, job.id).run();
}

/**
 * The recovery job's own queries: the claim that starts a step, the page it re-sends (from the
 * webhook's partitions), the checkpoint after each chunk, and the end of the step.
 *
 * What makes "once each" hold through crashes: a step takes only deliveries that ended failed or
 * skipped before the recovery began (`created_at`), and re-sending one moves its `updated_at`
 * past that, so no step of this recovery sends it again, whatever the cursor says. A chunk's
 * resend (in its partition) and its checkpoint (here, in D1) are two writes: a step that dies
 * between them reads the chunk again (the page includes what this job re-sent), and the
 * partition answers those as already re-sent by the job (`alreadyByJob`), counted then.
 */
import type { Env } from "../env";
import type { Position, RecoverableQuery } from "../storage/contract";
import { deliveryLog } from "../storage/stubs";
import { webhookPartitions } from "../storage/webhook-partitions";
import type { RecoveryRecord } from "./recoveries";

export type RecoveryJob = RecoveryRecord & {
  tries: number;
  cursor_at: number | null;
  cursor_id: string | null;
  webhook_status: "inactive" | "active" | "paused" | null;
  /** The webhook's current revision: what the re-sent deliveries go with. */
  revision_id: string | null;
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
           tries, cursor_at, cursor_id,
           (SELECT w.status FROM webhooks w WHERE w.organisation_id = recoveries.organisation_id AND w.id = recoveries.webhook_id) AS webhook_status,
           (SELECT w.revision_id FROM webhooks w WHERE w.organisation_id = recoveries.organisation_id AND w.id = recoveries.webhook_id) AS revision_id`,
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
  /** Its partition. */
  day: number;
}

/** Where the job stands: before its first step, at (since, ''), before every delivery created at `since` and after all earlier ones. */
const cursorOf = (job: RecoveryJob): Position =>
  job.cursor_at === null ? { createdAt: job.since_at, id: "" } : { createdAt: job.cursor_at, id: job.cursor_id ?? "" };

/**
 * The next deliveries to re-send, after the cursor, in (created_at, id) order: the partitions
 * from the cursor's day on, oldest first, each asked for what the page still lacks. A delivery
 * lives in the partition of its creation day, so partition by partition is that order.
 */
export async function recoverablePage(env: Env, job: RecoveryJob, limit: number): Promise<Recoverable[]> {
  const after = cursorOf(job);
  const scopes = await webhookPartitions(env, job.organisation_id, job.webhook_id, { since: after.createdAt, until: job.until_at });
  const page: Recoverable[] = [];
  for (const scope of scopes) {
    if (page.length >= limit) break;
    const q: RecoverableQuery = { since: job.since_at, until: job.until_at, after, endedBefore: job.created_at, limit: limit - page.length, jobId: job.id };
    const rows = await deliveryLog(env, job.organisation_id, job.webhook_id, scope.day).recoverable(scope, q);
    page.push(...rows.map((r) => ({ id: r.id, created_at: r.created_at, day: scope.day })));
  }
  return page;
}

/** The cursor as the row holds it: both null before the first checkpoint. */
export type Cursor = Pick<RecoveryJob, "cursor_at" | "cursor_id">;

/**
 * After a chunk: the cursor moves to its last delivery and `sent` grows by what the chunk
 * re-sent or found already re-sent by this job. Only from the cursor the chunk started at, while
 * running: a false answer means another invocation (this one's lease ran out) moved it and
 * counted, or the recovery was failed meanwhile.
 */
export async function checkpoint(d1: D1Database, job: RecoveryJob, from: Cursor, last: Recoverable, sent: number): Promise<boolean> {
  const res = await d1
    .prepare(
      `UPDATE recoveries SET cursor_at = ?1, cursor_id = ?2, sent = sent + ?3, updated_at = ?4
       WHERE organisation_id = ?5 AND id = ?6 AND status = 'running' AND cursor_at IS ?7 AND cursor_id IS ?8`,
    )
    .bind(last.created_at, last.id, sent, Date.now(), job.organisation_id, job.id, from.cursor_at, from.cursor_id)
    .run();
  return res.meta.changes === 1;
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

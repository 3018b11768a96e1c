/**
 * What a recovery re-sends (src/db/recovery-job.ts did it on D1): deliveries that ended failed
 * or skipped, not test sends or checks, created in [since, until), after the cursor, that ended
 * before the recovery began; ascending on (created_at, id). Read through the partial index
 * deliveries_recoverable, on the id: ids carry their creation time (accept() holds them to it),
 * so id order is (created_at, id) order and the time bounds are bounds on the key. With a job,
 * also what that job already re-sent in the range (deliveries_resent), whatever its state now:
 * resend() answers those as `alreadyByJob`, so a step redone after a crash counts them.
 */
import type { RecoverableQuery } from "../../storage/contract";
import type { Log } from "./context";
import { deliveryIdFloor } from "./ids";

// The id range says what the time bounds say, for the index; the time bounds stay as the rule.
const IN_RANGE = "id >= ?1 AND id < ?2 AND created_at >= ?3 AND created_at < ?4";
const ENDED_BADLY = "status IN ('failed', 'skipped') AND call = 0 AND updated_at < ?5";

export function recoverablePage(log: Log, q: RecoverableQuery): { id: string; created_at: number }[] {
  if (!Number.isInteger(q.limit) || q.limit < 1) throw new Error(`limit must be a whole number from 1, not ${q.limit}`);
  const after = "(created_at, id) > (?6, ?7)";
  const byJob = q.jobId === undefined
    ? ""
    : `UNION SELECT * FROM (SELECT id, created_at FROM deliveries INDEXED BY deliveries_resent
                             WHERE resent_by IS NOT NULL AND resent_by = ?9 AND ${IN_RANGE} AND ${after} ORDER BY resent_by, id LIMIT ?8)`;
  return log.sql.all<{ id: string; created_at: number }>(
    `SELECT * FROM (SELECT id, created_at FROM deliveries INDEXED BY deliveries_recoverable
                     WHERE ${ENDED_BADLY} AND ${IN_RANGE} AND ${after} ORDER BY id LIMIT ?8)
     ${byJob}
     ORDER BY id LIMIT ?8`,
    deliveryIdFloor(Math.max(q.since, q.after.createdAt)), deliveryIdFloor(q.until), q.since, q.until, q.endedBefore,
    q.after.createdAt, q.after.id, q.limit, ...(q.jobId === undefined ? [] : [q.jobId]),
  );
}

export function countRecoverable(log: Log, q: { since: number; until: number; endedBefore: number }): number {
  return log.sql.first<{ n: number }>(
    `SELECT count(*) AS n FROM deliveries INDEXED BY deliveries_recoverable WHERE ${ENDED_BADLY} AND ${IN_RANGE}`,
    deliveryIdFloor(q.since), deliveryIdFloor(q.until), q.since, q.until, q.endedBefore,
  )!.n;
}

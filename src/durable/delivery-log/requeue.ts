/**
 * Ended deliveries back to pending: resend (by hand, or a recovery job's step) and the replay
 * of skipped ones on resume. Both set next_attempt_at past the creation time, so what the queue
 * does not take is in deliveries_due and the sweep sends it (migrations/0000_init.ts). The
 * caller enqueues the answer: it knows the organisation and webhook for the messages.
 */
import type { Requeue } from "../../storage/contract";
import type { Log } from "./context";

const IDS_PER_STATEMENT = 90;

export interface ResendOptions {
  /** Only failed or skipped ones that ended before this time (a recovery: one re-sent since is left alone). */
  endedBefore?: number;
  /** The recovery job re-sending: recorded on each, so the step redone after a crash sends nothing twice. */
  jobId?: string;
  now: number;
}

/**
 * As src/delivery/resend.ts did: one more attempt for each ended delivery (not a test send or a
 * check), its last whatever comes of it, with the webhook's current revision. A pending one, or
 * an id this partition does not hold, is left out of the answer. `alreadyByJob` counts the ids
 * this same job re-sent before (they are not sent again).
 */
export function resendDeliveries(log: Log, ids: string[], revisionId: string, opts: ResendOptions): { resent: Requeue[]; alreadyByJob: number } {
  const resent: Requeue[] = [];
  let alreadyByJob = 0;
  const unique = [...new Set(ids)];
  log.storage.transactionSync(() => {
    for (let i = 0; i < unique.length; i += IDS_PER_STATEMENT) {
      const part = unique.slice(i, i + IDS_PER_STATEMENT);
      const list = part.map((_, j) => `?${j + 6}`).join(",");
      if (opts.jobId !== undefined) {
        alreadyByJob += log.sql.first<{ n: number }>(`SELECT count(*) AS n FROM deliveries WHERE resent_by = ?1 AND id IN (${part.map((_, j) => `?${j + 2}`).join(",")})`, opts.jobId, ...part)!.n;
      }
      const rows = log.sql.all<{ id: string; attempts: number; event_id: string }>(
        `UPDATE deliveries
            SET status = 'pending', last_attempt = attempts + 1, next_attempt_at = MAX(?1, created_at + 1), updated_at = ?1,
                -- A resend by hand keeps a job's mark: that job did send it, and a redone step must count it.
                revision_id = ?2, resent_by = COALESCE(?3, resent_by),
                -- Another revision: the one it was created with is kept, which its earlier attempts' rows name by NULL (revision.ts).
                origin_revision_id = CASE WHEN revision_id = ?2 THEN origin_revision_id ELSE COALESCE(origin_revision_id, revision_id) END
          WHERE status IN ('success', 'failed', 'skipped') AND call = 0
            AND (?4 IS NULL OR (status IN ('failed', 'skipped') AND updated_at < ?4))
            AND (?5 IS NULL OR resent_by IS NOT ?5)
            AND id IN (${list})
          RETURNING id, attempts, event_id`,
        opts.now, revisionId, opts.jobId ?? null, opts.endedBefore ?? null, opts.jobId ?? null, ...part,
      );
      resent.push(...rows.map((r) => ({ delivery_id: r.id, attempt: r.attempts + 1, event_id: r.event_id })));
    }
  });
  return { resent, alreadyByJob };
}

/**
 * As src/delivery/replay.ts did: skipped deliveries (not test sends or checks) back to pending,
 * each with its own revision and attempt count. Found through deliveries_recoverable, which holds
 * the ended-badly ones only, so the cost is the skipped and failed, not the day.
 */
export function replaySkipped(log: Log, limit: number, now: number): Requeue[] {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`limit must be a whole number from 1, not ${limit}`);
  const rows = log.sql.all<{ id: string; attempts: number; event_id: string }>(
    `UPDATE deliveries SET status = 'pending', next_attempt_at = MAX(?1, created_at + 1), updated_at = ?1
      WHERE id IN (SELECT id FROM deliveries INDEXED BY deliveries_recoverable
                    WHERE status IN ('failed', 'skipped') AND call = 0 AND status = 'skipped' ORDER BY id LIMIT ?2)
      RETURNING id, attempts, event_id`,
    now, limit,
  );
  return rows.map((r) => ({ delivery_id: r.id, attempt: r.attempts + 1, event_id: r.event_id }));
}

/**
 * Per-bucket counts and exact median response times, read from the delivery log with one range
 * search on attempts_webhook_time (webhook_id, created_at, id): the cost is the attempts in the
 * range, never the whole log. Counted as the statistics count (the trigger attempts_count):
 * test sends and skips left out, anything but a success is a failure. Attempts purged by the
 * log retention are gone from here, while the statistics keep them.
 */
import type { BucketCounts, BucketRange } from "./timeseries";

/** Exported for test/stats-timeseries.test.ts, which checks its plan. */
export const TIMESERIES_SQL = `WITH r AS (
  SELECT CAST(created_at / ?1 AS INTEGER) AS k, status, response_time_ms AS ms
  FROM attempts INDEXED BY attempts_webhook_time
  WHERE webhook_id = ?2 AND created_at >= ?3 AND created_at <= ?4 AND organisation_id = ?5
    AND test = 0 AND status <> 'skipped'
),
ranked AS (
  SELECT k, ms, row_number() OVER (PARTITION BY k ORDER BY ms) AS rn, count(*) OVER (PARTITION BY k) AS n
  FROM r WHERE ms IS NOT NULL
),
-- The middle value, or the mean of the two middle values.
medians AS (SELECT k, avg(ms) AS median FROM ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY k)
SELECT c.k, c.success, c.failed, medians.median
FROM (SELECT k, sum(status = 'success') AS success, sum(status <> 'success') AS failed FROM r GROUP BY k) AS c
LEFT JOIN medians USING (k)
ORDER BY c.k`;

/** The buckets that have attempts, or null when the organisation has no such webhook. */
export async function readTimeseries(d1: D1Database, organisationId: number, webhookId: string, range: BucketRange): Promise<BucketCounts[] | null> {
  const [owner, rows] = await d1.batch([
    d1.prepare("SELECT 1 AS found FROM webhooks WHERE organisation_id = ? AND id = ?").bind(organisationId, webhookId),
    d1.prepare(TIMESERIES_SQL).bind(range.bucketMs, webhookId, range.start, range.end, organisationId),
  ]);
  if (owner!.results.length === 0) return null;
  return rows!.results as unknown as BucketCounts[];
}

/**
 * A webhook's statistics, read from the counters and the latency histogram that the trigger
 * attempts_count keeps as attempts are logged: one row plus at most 46 buckets, whatever the
 * size of the log, and unchanged by purges (they are lifetime figures).
 *
 * The median is estimated (src/stats/latency.ts): it is the middle of the bucket that holds the
 * lower median (the ⌈n/2⌉-th smallest response time). With integer milliseconds its error is
 * at most 1 ms below 10 ms, at most 16.7% from 6 ms to 60 ms, at most 15.5% from 60 ms to 30 s
 * (the delivery timeout) and at most 22.5% from 30 s to 60 s; above 60 s it says only "over
 * 60 s". test/stats.test.ts checks these bounds for every millisecond up to 60 s.
 */
import { iso } from "../lib/encoding";
import { successRate } from "../schemas/present-webhook";
import type { StatsOut } from "../schemas/logs";
import { medianFromBuckets } from "./latency";

interface CounterRow {
  total: number;
  successful: number;
  failed: number;
  last_success_at: number | null;
  last_failure_at: number | null;
}

/** Exported for test/query-plans.test.ts: both are key lookups. */
export const COUNTERS_SQL =
  "SELECT total, successful, failed, last_success_at, last_failure_at FROM webhook_stats WHERE organisation_id = ? AND webhook_id = ?";
// Not a join: with few webhooks SQLite would rather scan webhook_stats than look the row up.
export const LATENCY_SQL = `SELECT bucket, count FROM webhook_latency WHERE webhook_id = ?2
  AND EXISTS (SELECT 1 FROM webhook_stats WHERE webhook_id = ?2 AND organisation_id = ?1)`;

/** The statistics of one webhook of the organisation, or null when it has no such webhook. */
export async function readStats(d1: D1Database, organisationId: number, webhookId: string): Promise<StatsOut | null> {
  const [counters, buckets] = await d1.batch([
    d1.prepare(COUNTERS_SQL).bind(organisationId, webhookId),
    d1.prepare(LATENCY_SQL).bind(organisationId, webhookId),
  ]);
  const row = counters!.results[0] as CounterRow | undefined;
  if (!row) return null;
  return {
    total_deliveries: row.total,
    successful_deliveries: row.successful,
    failed_deliveries: row.failed,
    median_response_time_ms: medianFromBuckets(buckets!.results as { bucket: number; count: number }[]),
    success_rate: successRate(row.total, row.successful),
    last_success_at: iso(row.last_success_at),
    last_failure_at: iso(row.last_failure_at),
  };
}

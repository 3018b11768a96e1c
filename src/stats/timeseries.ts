/**
 * Deliveries and response times over time, for the dashboard's chart: the pure part (the range
 * in whole buckets, and the rows laid out one per bucket, empty ones included).
 */
import { fieldError } from "../errors";

export const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type BucketName = keyof typeof BUCKET_MS;

/** One chart point per bucket: 500 points is more than a laptop-wide chart can show apart. */
export const MAX_BUCKETS = 500;
/** Left out, `from` is this many buckets before `to`: an hour by minutes, a day by hours, a month by days. */
export const DEFAULT_BUCKETS: Record<BucketName, number> = { minute: 60, hour: 24, day: 30 };

export interface BucketRange {
  bucketMs: number;
  /** First millisecond of the first bucket and last millisecond of the last one. */
  start: number;
  end: number;
  count: number;
}

/** The requested range widened to whole buckets (aligned to the epoch, so UTC hours and days). */
export function bucketRange(bucket: BucketName, from: number | undefined, to: number): BucketRange {
  const bucketMs = BUCKET_MS[bucket];
  const first = Math.floor((from ?? to - (DEFAULT_BUCKETS[bucket] - 1) * bucketMs) / bucketMs);
  const last = Math.floor(to / bucketMs);
  if (last < first) throw fieldError("to", "must not be before from");
  const count = last - first + 1;
  if (count > MAX_BUCKETS) {
    throw fieldError("from", `the range holds ${count} ${bucket} buckets; at most ${MAX_BUCKETS}: narrow it or use a longer bucket`);
  }
  return { bucketMs, start: first * bucketMs, end: (last + 1) * bucketMs - 1, count };
}

export interface BucketCounts {
  /** Bucket number: created_at / bucketMs, rounded down. */
  k: number;
  success: number;
  failed: number;
  median: number | null;
}

export interface TimeseriesPoint {
  t: string;
  success: number;
  failed: number;
  median_response_time_ms: number | null;
}

/** Every bucket of the range in time order; a bucket with no attempts is zeros. */
export function fillBuckets(range: BucketRange, rows: BucketCounts[]): TimeseriesPoint[] {
  const byBucket = new Map(rows.map((r) => [r.k, r]));
  const firstK = range.start / range.bucketMs;
  return Array.from({ length: range.count }, (_, i) => {
    const row = byBucket.get(firstK + i);
    return {
      t: new Date((firstK + i) * range.bucketMs).toISOString(),
      success: row?.success ?? 0,
      failed: row?.failed ?? 0,
      median_response_time_ms: row?.median ?? null,
    };
  });
}

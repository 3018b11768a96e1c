/**
 * Median response time from the per-webhook histogram (migrations: latency_bounds). Buckets are
 * about 1.25x apart, and the estimate is the geometric middle of the bucket that holds the
 * median: at most 1 ms off below 10 ms, within 16.7% from 6 to 60 ms, 15.5% from 60 ms to 30 s
 * and 22.5% from 30 to 60 s (test/stats.test.ts checks every millisecond up to 60 s).
 */
export const LATENCY_BOUNDS_MS = [
  1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 200, 250, 300, 400, 500, 600, 800,
  1000, 1200, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 15000, 20000, 25000, 30000, 40000, 60000,
];

export function medianFromBuckets(buckets: { bucket: number; count: number }[]): number | null {
  const total = buckets.reduce((n, b) => n + b.count, 0);
  if (total === 0) return null;
  const sorted = [...buckets].sort((a, b) => a.bucket - b.bucket);
  let seen = 0;
  for (const b of sorted) {
    seen += b.count;
    if (seen * 2 >= total) {
      const lower = b.bucket === 0 ? 0 : LATENCY_BOUNDS_MS[b.bucket - 1]!;
      const upper = LATENCY_BOUNDS_MS[b.bucket] ?? lower * 1.25;
      return lower === 0 ? upper / 2 : Math.round(Math.sqrt(lower * upper));
    }
  }
  return null;
}

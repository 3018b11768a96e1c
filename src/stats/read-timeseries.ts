/**
 * Per-bucket counts and median response times, from the minute rollups each DeliveryLog
 * partition keeps as it records attempts (one row per minute touched): a read costs the minutes
 * in the range, never the log. Counted as the statistics count: test sends and skips left out,
 * anything but a success is a failure. Partitions dropped by retention are gone from here, while
 * the statistics keep their totals.
 *
 * The median of a bucket is estimated from its minutes' latency histograms added up, as the
 * statistics' median is (src/stats/read-stats.ts gives its error: the middle of the bucket that
 * holds the lower median, at most 1 ms off below 10 ms, 16.7% from 6 to 60 ms, 15.5% from 60 ms
 * to 30 s and 22.5% from 30 to 60 s).
 */
import { ownsWebhook } from "../db/webhooks";
import type { Env } from "../env";
import type { MinuteRollup } from "../storage/contract";
import { livePartitions } from "../storage/log-pages";
import { DAY_MS } from "../storage/partitions";
import { deliveryLog } from "../storage/stubs";
import type { BucketCounts, BucketRange } from "./timeseries";
import { addHistograms, histogramMedian } from "./totals";

const MINUTE_MS = 60_000;

/** The minutes' counts added up per bucket of the range (bucketMs is a whole number of minutes). */
export function bucketsOf(range: BucketRange, minutes: readonly MinuteRollup[]): BucketCounts[] {
  const sums = new Map<number, { success: number; failed: number; latency: number[] }>();
  for (const m of minutes) {
    const at = m.minute * MINUTE_MS;
    if (at < range.start || at > range.end) continue;
    const k = Math.floor(at / range.bucketMs);
    const sum = sums.get(k) ?? { success: 0, failed: 0, latency: [] };
    sums.set(k, { success: sum.success + m.success, failed: sum.failed + m.failed, latency: addHistograms(sum.latency, m.latency) });
  }
  return [...sums]
    .filter(([, s]) => s.success + s.failed > 0)
    .sort(([a], [b]) => a - b)
    .map(([k, s]) => ({ k, success: s.success, failed: s.failed, median: histogramMedian(s.latency) }));
}

/**
 * The buckets that have attempts, or null when the organisation has no such webhook. Every live
 * partition whose day starts by the end of the range is read, at once: its attempts come at or
 * after its day's first millisecond, but retries, resends and recoveries log them days later,
 * so an older partition can hold minutes of the range too.
 */
export async function readTimeseries(env: Env, organisationId: number, webhookId: string, range: BucketRange): Promise<BucketCounts[] | null> {
  // At once: the head is named by the asking organisation too, so a webhook that is not its own
  // gets an empty head (nothing stored), never another organisation's partitions.
  const [owner, days] = await Promise.all([
    ownsWebhook(env.DB, organisationId, webhookId),
    livePartitions(env, organisationId, webhookId),
  ]);
  if (!owner) return null;
  const fromMinute = range.start / MINUTE_MS;
  const toMinute = Math.floor(range.end / MINUTE_MS);
  const rollups = await Promise.all(
    days
      .filter((day) => day * DAY_MS <= range.end)
      .map((day) => deliveryLog(env, organisationId, webhookId, day).rollups({ organisationId, webhookId, day }, fromMinute, toMinute)),
  );
  return bucketsOf(range, rollups.flat());
}

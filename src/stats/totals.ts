/**
 * Adding up counts kept per partition (src/storage/contract.ts Totals and MinuteRollup): a
 * webhook's figures are the sum of its partitions' and of those its head folded in before
 * dropping them (retention), so they stay lifetime figures.
 */
import type { Totals } from "../storage/contract";
import { medianFromBuckets } from "./latency";

export const NO_TOTALS: Totals = {
  total: 0,
  successful: 0,
  failed: 0,
  last_success_at: null,
  last_failure_at: null,
  last_triggered_at: null,
  latency: [],
};

const later = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/** Latency histograms added bucket by bucket (index = bucket of src/stats/latency.ts). */
export function addHistograms(a: readonly number[], b: readonly number[]): number[] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => (a[i] ?? 0) + (b[i] ?? 0));
}

export function addTotals(a: Totals, b: Totals): Totals {
  return {
    total: a.total + b.total,
    successful: a.successful + b.successful,
    failed: a.failed + b.failed,
    last_success_at: later(a.last_success_at, b.last_success_at),
    last_failure_at: later(a.last_failure_at, b.last_failure_at),
    last_triggered_at: later(a.last_triggered_at, b.last_triggered_at),
    latency: addHistograms(a.latency, b.latency),
  };
}

export const sumTotals = (list: readonly Totals[]): Totals => list.reduce(addTotals, NO_TOTALS);

/** The estimated median of a histogram (src/stats/latency.ts says how far off it can be). */
export const histogramMedian = (latency: readonly number[]) =>
  medianFromBuckets(latency.map((count, bucket) => ({ bucket, count })).filter((b) => b.count > 0));

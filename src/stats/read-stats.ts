/**
 * A webhook's statistics: what its head folded in from partitions that retention dropped
 * (archived) plus the day totals of each live DeliveryLog partition, read at once. A partition
 * keeps its totals in one row as it records attempts, so a read costs one call per live day
 * (at most the retention's days), whatever the size of the log, and retention leaves the
 * figures as they were (they are lifetime figures). Counted as always: test sends and skips
 * left out, anything but a success is a failure.
 *
 * The median is estimated from the summed latency histogram (src/stats/latency.ts): it is the
 * middle of the bucket that holds the lower median (the ⌈n/2⌉-th smallest response time). With
 * integer milliseconds its error is at most 1 ms below 10 ms, at most 16.7% from 6 ms to 60 ms,
 * at most 15.5% from 60 ms to 30 s (the delivery timeout) and at most 22.5% from 30 s to 60 s;
 * above 60 s it says only "over 60 s". test/stats.test.ts checks these bounds for every
 * millisecond up to 60 s.
 */
import { ownsWebhook } from "../db/webhooks";
import { healthStub } from "../durable/health-client";
import type { Env } from "../env";
import { iso } from "../lib/encoding";
import type { StatsOut } from "../schemas/logs";
import { successRate } from "../schemas/present-webhook";
import { deliveryLog } from "../storage/stubs";
import { histogramMedian, sumTotals } from "./totals";

/** The statistics of one webhook of the organisation, or null when it has no such webhook. */
export async function readStats(env: Env, organisationId: number, webhookId: string): Promise<StatsOut | null> {
  const head = healthStub(env, organisationId, webhookId);
  // At once: the head is named by the asking organisation too, so a webhook that is not its own
  // gets an empty head (nothing stored), never another organisation's figures.
  const [owner, archived, days] = await Promise.all([
    ownsWebhook(env.DB, organisationId, webhookId),
    head.archived(),
    head.partitions(),
  ]);
  if (!owner) return null;
  const live = await Promise.all(
    days.map((day) => deliveryLog(env, organisationId, webhookId, day).totals({ organisationId, webhookId, day })),
  );
  const t = sumTotals([archived, ...live]);
  return {
    total_deliveries: t.total,
    successful_deliveries: t.successful,
    failed_deliveries: t.failed,
    median_response_time_ms: histogramMedian(t.latency),
    success_rate: successRate(t.total, t.successful),
    last_success_at: iso(t.last_success_at),
    last_failure_at: iso(t.last_failure_at),
  };
}

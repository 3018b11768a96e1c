/**
 * The webhook's summary in D1 (webhook_stats, webhooks.failure_streak): what the webhook list
 * shows (success rate, last triggered) without a call to any object per row. Written by the
 * head's alarm, at most once per SUMMARY_REFRESH_MS after activity was noted, so it is off the
 * delivery path and its D1 writes do not grow with traffic: one batch per webhook per interval.
 */
import type { Env } from "../../env";
import { addTotals, sumTotals } from "../../stats/totals";
import { archivedTotals, KEYS, livePartitions, log, ownerOf, partitionStub, scopeOf } from "./state";

const DEFAULT_REFRESH_MS = 30_000;
export const refreshMs = (env: Pick<Env, "SUMMARY_REFRESH_MS">) => Number(env.SUMMARY_REFRESH_MS) || DEFAULT_REFRESH_MS;

/** Arms a refresh unless one is armed; true when this call armed it (the alarm may need to come sooner). */
export function armRefresh(kv: SyncKvStorage, env: Env, now: number): boolean {
  if (kv.get<number>(KEYS.refreshAt) !== undefined) return false;
  kv.put(KEYS.refreshAt, now + refreshMs(env));
  return true;
}

export const refreshDue = (kv: SyncKvStorage) => kv.get<number>(KEYS.refreshAt) ?? Infinity;

/**
 * Sums the archived totals and every live partition's, and writes them with the streak in one
 * D1 batch. Activity noted while it runs arms the next refresh; a refresh that fails is tried
 * again after the interval.
 */
export async function refreshSummary(env: Env, storage: DurableObjectStorage, now: number, streak: () => number): Promise<void> {
  const kv = storage.kv;
  kv.delete(KEYS.refreshAt);
  const owner = ownerOf(kv);
  if (!owner) return;
  try {
    const days = livePartitions(kv);
    const read = await Promise.all(days.map((day) => partitionStub(env, owner, day).totals(scopeOf(owner, day))));
    // Taken together after the reads: a partition folded into the archived totals meanwhile
    // (retention) has left the live list in the same write, so it is counted once.
    const live = livePartitions(kv);
    const t = addTotals(archivedTotals(kv), sumTotals(read.filter((_, i) => live.includes(days[i]!))));
    const sent = streak();
    await env.DB.batch([
      env.DB.prepare(
        `UPDATE webhook_stats SET total = ?, successful = ?, failed = ?, last_success_at = ?, last_failure_at = ?, last_triggered_at = ?
          WHERE organisation_id = ? AND webhook_id = ?`,
      ).bind(t.total, t.successful, t.failed, t.last_success_at, t.last_failure_at, t.last_triggered_at, owner.organisationId, owner.webhookId),
      env.DB.prepare("UPDATE webhooks SET failure_streak = ? WHERE organisation_id = ? AND id = ?").bind(sent, owner.organisationId, owner.webhookId),
    ]);
    // A failure or reset while the batch was in flight mirrored its own streak, which this batch
    // may have landed after: the consumer skips the object on a streak of 0, so it must not stay stale.
    if (streak() !== sent) {
      await env.DB.prepare("UPDATE webhooks SET failure_streak = ? WHERE organisation_id = ? AND id = ?").bind(streak(), owner.organisationId, owner.webhookId).run();
    }
  } catch (err) {
    log("warn", "summary refresh failed; tried again later", { ...owner, error: String(err).slice(0, 500) });
    armRefresh(kv, env, now);
  }
}

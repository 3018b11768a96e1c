/**
 * The webhook's summary in D1 (webhook_stats, webhooks.failure_streak): what the webhook list
 * shows (success rate, last triggered) without a call to any object per row. Written by the
 * head's alarm, at most once per SUMMARY_REFRESH_MS after activity was noted, so it is off the
 * delivery path and its D1 writes do not grow with traffic: one batch per webhook per interval.
 */
import type { Env } from "../../env";
import type { Totals } from "../../storage/contract";
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

/** Which partitions changed since the last refresh: some days, or "all" (a word that named none). */
type Dirty = number[] | "all";
const union = (a: Dirty | undefined, b: Dirty | undefined): Dirty | undefined =>
  a === "all" || b === "all" ? "all" : a || b ? [...new Set([...(a ?? []), ...(b ?? [])])] : undefined;

/**
 * What the head remembers between refreshes, in memory only (no row written for it): a head
 * that restarts has kept no partition's totals, so its first refresh reads every partition.
 */
export interface ReadMemory {
  /** The days whose partitions noted activity since the last refresh took them. */
  dirty: Dirty | undefined;
  /** Each live partition's totals as a refresh last read them. */
  dayTotals: Map<number, Totals>;
  /** When a refresh last read every live partition. */
  fullReadAt: number;
}

export const newReadMemory = (): ReadMemory => ({ dirty: undefined, dayTotals: new Map(), fullReadAt: 0 });

/** A partition's activity: its day joins those the next refresh reads; a word without a day (a test's seed, an older partition) makes it read every one. */
export function markDirty(memory: ReadMemory, day: number | undefined) {
  memory.dirty = union(memory.dirty, day === undefined ? "all" : [day]);
}

/**
 * Every live partition is read again at least this often, whatever was noted: a word lost on
 * its way (notify.ts sends it best-effort) then leaves the summary stale for an hour at most.
 */
const FULL_READ_MS = 3_600_000;

/**
 * Writes the archived totals plus every live partition's, with the streak, in one D1 batch.
 * Only the partitions that noted activity since the last refresh are read (and any not read
 * yet, and all of them hourly); the others' totals are the ones the head kept in memory. A busy
 * webhook's refresh reads one or two partitions, not its 31 days'. Activity noted while it
 * runs arms the next refresh; a refresh that fails is tried again after the interval, with
 * what it took to read still marked.
 */
export async function refreshSummary(env: Env, storage: DurableObjectStorage, now: number, streak: () => number, memory: ReadMemory): Promise<void> {
  const kv = storage.kv;
  kv.delete(KEYS.refreshAt);
  const owner = ownerOf(kv);
  if (!owner) return;
  const days = livePartitions(kv);
  const dirty = memory.dirty;
  const full = dirty === "all" || memory.fullReadAt + FULL_READ_MS <= now;
  const toRead = days.filter((day) => full || !memory.dayTotals.has(day) || dirty?.includes(day));
  // Taken before the reads: a word that comes while they run is a change they may have missed.
  memory.dirty = undefined;
  try {
    const read = await Promise.all(toRead.map((day) => partitionStub(env, owner, day).totals(scopeOf(owner, day))));
    // Taken together after the reads: a partition folded into the archived totals meanwhile
    // (retention) has left the live list in the same write, so it is counted once.
    const live = livePartitions(kv);
    toRead.forEach((day, i) => memory.dayTotals.set(day, read[i]!));
    for (const day of memory.dayTotals.keys()) if (!live.includes(day)) memory.dayTotals.delete(day);
    if (full) memory.fullReadAt = now;
    const t = addTotals(archivedTotals(kv), sumTotals([...memory.dayTotals.values()]));
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
    memory.dirty = union(memory.dirty, full ? "all" : toRead);
    armRefresh(kv, env, now);
  }
}

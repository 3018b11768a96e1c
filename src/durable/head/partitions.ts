/**
 * A webhook's partitions (one DeliveryLog per UTC day) as its head lists them, and their
 * retention: a partition past LOG_RETENTION_DAYS has its totals folded into the archived totals
 * (lifetime statistics outlive the log) and leaves the list in one storage write, then is
 * dropped. Until the drop is done it waits in a "dropping" list, tried again later: a partition
 * refuses while a delivery of it is still pending, and its deliveries may go on counting
 * meanwhile, so a retry folds in what it counted since.
 */
import type { Env } from "../../env";
import { logRetentionMs } from "../../maintenance/retention";
import type { Totals } from "../../storage/contract";
import { DAY_MS } from "../../storage/partitions";
import { addHistograms, addTotals } from "../../stats/totals";
import { archivedTotals, KEYS, livePartitions, log, type Owner, ownerOf, partitionStub, scopeOf } from "./state";

interface Dropping {
  day: number;
  /** The partition's totals as folded into the archived ones so far. */
  folded: Totals;
  /** Drops tried and refused or failed. */
  tries: number;
}

/**
 * What a partition counted since an earlier reading of its totals: its counters only grow, and
 * its last-at times are kept as they are now (adding takes the later of each).
 */
const totalsSince = (now: Totals, before: Totals): Totals => ({
  ...now,
  total: now.total - before.total,
  successful: now.successful - before.successful,
  failed: now.failed - before.failed,
  latency: addHistograms(now.latency, before.latency.map((n) => -n)),
});

/** A partition that refused to go (a delivery still pending) or could not be reached is tried again after this. */
export const RETENTION_RETRY_MS = 3_600_000;

const droppingOf = (kv: SyncKvStorage) => kv.get<Dropping[]>(KEYS.dropping) ?? [];

/** Adds a day to the list; true when it was not there. */
export function addPartition(kv: SyncKvStorage, day: number): boolean {
  const live = livePartitions(kv);
  if (live.includes(day) || droppingOf(kv).some((d) => d.day === day)) return false;
  kv.put(KEYS.partitions, [...live, day].sort((a, b) => a - b));
  return true;
}

/** Every day the head still has to drop some day: live and dropping. */
export const allPartitions = (kv: SyncKvStorage) => [...livePartitions(kv), ...droppingOf(kv).map((d) => d.day)];

/** A partition may go once the newest delivery it can hold is older than the retention (day < dayOf(now - retention)). */
export const expiresAt = (day: number, retentionMs: number) => (day + 1) * DAY_MS + retentionMs;

/**
 * When retention should run next: when the oldest partition expires, or the retry of what the
 * last run left; at least daily, so that a shorter LOG_RETENTION_DAYS takes effect within a day.
 */
export function retentionDue(kv: SyncKvStorage, env: Env, now: number): number {
  const oldest = livePartitions(kv)[0];
  const due = kv.get<number>(KEYS.retentionRetryAt) ?? (oldest === undefined ? Infinity : expiresAt(oldest, logRetentionMs(env)));
  return Math.min(due, Number.isFinite(due) ? now + DAY_MS : Infinity);
}

export async function runRetention(env: Env, storage: DurableObjectStorage, now: number): Promise<void> {
  const kv = storage.kv;
  const owner = ownerOf(kv);
  if (!owner) return;
  const retention = logRetentionMs(env);
  const expired = livePartitions(kv).filter((day) => expiresAt(day, retention) <= now);
  await Promise.all(expired.map((day) => fold(env, storage, owner, day)));
  await Promise.all(droppingOf(kv).map((d) => drop(env, storage, owner, d.day)));
  const left = droppingOf(kv).length > 0 || livePartitions(kv).some((day) => expiresAt(day, retention) <= now);
  if (left) kv.put(KEYS.retentionRetryAt, now + RETENTION_RETRY_MS);
  else kv.delete(KEYS.retentionRetryAt);
}

/** Moves an expired partition's totals into the archived ones and the partition from the live list to the dropping one. */
async function fold(env: Env, storage: DurableObjectStorage, owner: Owner, day: number) {
  let totals: Totals;
  try {
    totals = await partitionStub(env, owner, day).totals(scopeOf(owner, day));
  } catch (err) {
    log("warn", "retention: partition totals unreadable; tried again later", { ...owner, day, error: String(err).slice(0, 500) });
    return;
  }
  const kv = storage.kv;
  // Read and written with no await between: a run alongside this one cannot fold the day twice.
  storage.transactionSync(() => {
    const live = livePartitions(kv);
    if (!live.includes(day)) return;
    kv.put(KEYS.archived, addTotals(archivedTotals(kv), totals));
    kv.put(KEYS.partitions, live.filter((d) => d !== day));
    kv.put(KEYS.dropping, [...droppingOf(kv), { day, folded: totals, tries: 0 }]);
  });
}

async function drop(env: Env, storage: DurableObjectStorage, owner: Owner, day: number) {
  const kv = storage.kv;
  const stub = partitionStub(env, owner, day);
  const entry = () => droppingOf(kv).find((d) => d.day === day);
  const put = (change: (d: Dropping) => Dropping | null) =>
    kv.put(KEYS.dropping, droppingOf(kv).flatMap((d) => (d.day === day ? [change(d)].filter((x) => x !== null) : [d])));
  try {
    if ((entry()?.tries ?? 0) > 0) {
      const totals = await stub.totals(scopeOf(owner, day));
      storage.transactionSync(() => {
        const current = entry();
        // Counters only grow while a partition lives: fewer means it was dropped already (the answer lost).
        if (!current || totals.total < current.folded.total) return;
        kv.put(KEYS.archived, addTotals(archivedTotals(kv), totalsSince(totals, current.folded)));
        put((d) => ({ ...d, folded: totals }));
      });
    }
    if (await stub.drop()) return put(() => null);
    log("info", "retention: partition has pending deliveries; dropped later", { ...owner, day });
  } catch (err) {
    log("warn", "retention: partition drop failed; tried again later", { ...owner, day, error: String(err).slice(0, 500) });
  }
  put((d) => ({ ...d, tries: d.tries + 1 }));
}

/**
 * Totals and minute rollups, counted as the statistics always were (the D1 trigger
 * attempts_count): test sends and skips are left out, and anything but a success is a failure,
 * a retrying attempt included. A record() call adds its attempts up in memory and writes the
 * totals row once and each minute it touched once, so a batch of N attempts costs 2 rows of
 * statistics, not 2N.
 */
import { eq, sql } from "drizzle-orm";
import type { MinuteRollup, Totals } from "../../storage/contract";
import { LATENCY_BOUNDS_MS } from "../../stats/latency";
import type { Log } from "./context";
import { rollups, totals } from "./schema";

/** Buckets 0..LATENCY_BOUNDS_MS.length: an attempt of t ms is in the bucket numbered by the bounds <= t. */
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;
export const bucketOf = (ms: number) => {
  let n = 0;
  while (n < LATENCY_BOUNDS_MS.length && LATENCY_BOUNDS_MS[n]! <= ms) n++;
  return n;
};
const noLatency = () => new Array<number>(LATENCY_BUCKETS).fill(0);
const addInto = (into: number[], from: number[]) => from.forEach((n, i) => (into[i] = (into[i] ?? 0) + n));
const later = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

export const emptyTotals = (): Totals => ({
  total: 0, successful: 0, failed: 0, last_success_at: null, last_failure_at: null, last_triggered_at: null, latency: noLatency(),
});

export interface Counted {
  /** The delivery's test flag: test sends are not counted. */
  test: number;
  status: string;
  created_at: number;
  response_time_ms: number | null;
}

export class Tally {
  private readonly day = emptyTotals();
  private readonly minutes = new Map<number, MinuteRollup>();

  get empty() {
    return this.day.total === 0;
  }

  add(a: Counted) {
    if (a.test !== 0 || a.status === "skipped") return;
    const ok = a.status === "success";
    const minute = Math.floor(a.created_at / 60_000);
    const m = this.minutes.get(minute) ?? { minute, success: 0, failed: 0, latency: noLatency() };
    this.minutes.set(minute, m);
    this.day.total += 1;
    if (ok) {
      this.day.successful += 1;
      this.day.last_success_at = later(this.day.last_success_at, a.created_at);
      m.success += 1;
    } else {
      this.day.failed += 1;
      this.day.last_failure_at = later(this.day.last_failure_at, a.created_at);
      m.failed += 1;
    }
    // As the trigger: last triggered moves with counted attempts only (test/stats.test.ts holds
    // it equal to the later of the last success and the last failure).
    this.day.last_triggered_at = later(this.day.last_triggered_at, a.created_at);
    if (a.response_time_ms !== null) {
      const b = bucketOf(a.response_time_ms);
      this.day.latency[b]! += 1;
      m.latency[b]! += 1;
    }
  }

  /**
   * Adds this tally to the stored rows: one read and one upsert per row. The latency arrays are
   * summed here, not in SQL. Times take the later value (the trigger took the last written;
   * the same for attempts recorded in order, and right for a batch recorded out of order).
   */
  write(log: Log) {
    if (this.empty) return;
    const was = readTotals(log);
    const latency = [...was.latency];
    addInto(latency, this.day.latency);
    const row = {
      id: 1,
      total: was.total + this.day.total,
      successful: was.successful + this.day.successful,
      failed: was.failed + this.day.failed,
      last_success_at: later(was.last_success_at, this.day.last_success_at),
      last_failure_at: later(was.last_failure_at, this.day.last_failure_at),
      last_triggered_at: later(was.last_triggered_at, this.day.last_triggered_at),
      latency: JSON.stringify(latency),
    };
    const { id: _id, ...set } = row;
    log.db.insert(totals).values(row).onConflictDoUpdate({ target: totals.id, set }).run();

    for (const m of this.minutes.values()) {
      const before = log.db.select().from(rollups).where(eq(rollups.minute, m.minute)).get();
      const lat = before ? (JSON.parse(before.latency) as number[]) : noLatency();
      addInto(lat, m.latency);
      const next = { minute: m.minute, success: (before?.success ?? 0) + m.success, failed: (before?.failed ?? 0) + m.failed, latency: JSON.stringify(lat) };
      log.db.insert(rollups).values(next).onConflictDoUpdate({ target: rollups.minute, set: { success: next.success, failed: next.failed, latency: next.latency } }).run();
    }
  }
}

export function readTotals(log: Log): Totals {
  const row = log.db.select().from(totals).where(eq(totals.id, 1)).get();
  if (!row) return emptyTotals();
  const { id: _id, latency, ...rest } = row;
  return { ...rest, latency: JSON.parse(latency) as number[] };
}

/** The minutes in [fromMinute, toMinute] (both included) that have counted attempts, ascending. */
export function readRollups(log: Log, fromMinute: number, toMinute: number): MinuteRollup[] {
  return log.db
    .select()
    .from(rollups)
    .where(sql`${rollups.minute} BETWEEN ${fromMinute} AND ${toMinute}`)
    .orderBy(rollups.minute)
    .all()
    .map((r) => ({ ...r, latency: JSON.parse(r.latency) as number[] }));
}

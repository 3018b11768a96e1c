/**
 * The shard's day tables: one `events_<day>` table per UTC day of ingest, so retention drops a
 * whole day with one DROP TABLE instead of deleting (and paying for) each row. The live days are
 * kept in the object's kv, ascending.
 *
 * Raw SQL through ctx.storage.sql rather than Drizzle's durable-sqlite driver: the table names
 * change every day, so there is no static schema for Drizzle's migrator and the DDL would be raw
 * SQL anyway; and the driver discards each statement's cursor, whose rowsWritten / rowsRead
 * counters meter() has to add up (src/durable/metered-sql.ts).
 */
import { DAY_MS } from "../../storage/partitions";
import type { MeteredSql } from "../metered-sql";

const DAYS_KEY = "days";

/** The day is interpolated into SQL as a table name: only a whole, non-negative number of days gets there. */
export function tableOf(day: number): string {
  if (!Number.isSafeInteger(day) || day < 0) throw new Error(`not a day number: ${day}`);
  return `events_${day}`;
}

export const liveDays = (kv: SyncKvStorage): number[] => kv.get<number[]>(DAYS_KEY) ?? [];

/**
 * One row per event and no other index: WITHOUT ROWID makes the primary key the table itself, so
 * an insert writes one row (a rowid table would add a second b-tree entry for the id's index).
 * body and request_hash are declared BLOB (no type affinity), so each value keeps the storage
 * class it was written with, which says how it is packed (rows.ts, body.ts). Nothing was
 * deployed with the earlier shape of this table (JSON fan-out, hex hash, counts), so it was
 * changed in place.
 */
/** Answers the live days with it, as now stored. */
export function createDay(sql: MeteredSql, kv: SyncKvStorage, day: number): number[] {
  sql.run(
    `CREATE TABLE IF NOT EXISTS ${tableOf(day)} (
       id TEXT PRIMARY KEY,
       event TEXT NOT NULL,
       body BLOB NOT NULL,
       request_hash BLOB NOT NULL,
       fanout TEXT NOT NULL,
       created_at INTEGER NOT NULL
     ) WITHOUT ROWID`,
  );
  const days = [...new Set([...liveDays(kv), day])].sort((a, b) => a - b);
  kv.put(DAYS_KEY, days);
  return days;
}

/** Answers the live days without it, as now stored. */
export function dropDay(sql: MeteredSql, kv: SyncKvStorage, day: number): number[] {
  sql.run(`DROP TABLE IF EXISTS ${tableOf(day)}`);
  const days = liveDays(kv).filter((d) => d !== day);
  kv.put(DAYS_KEY, days);
  return days;
}

/**
 * When a day's table may go: its last event is older than the retention plus one day of slack,
 * so an event is recognised as a duplicate for at least the retention whatever its hour of the day.
 */
export const dropAt = (day: number, retentionMs: number) => (day + 2) * DAY_MS + retentionMs;

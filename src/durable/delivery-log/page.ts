/**
 * A page of the log, newest first on (created_at, id), with the D1 version's filters and cursor
 * (src/db/attempts.ts). Raw SQL, so the status filter can name its index.
 *
 * What a page reads: without a filter, or with status "success", a range of the primary key
 * (successes are most rows, so few are passed over). With any other status, the partial index
 * attempts_unsuccessful, which holds only that status's rows in order. An event filter passes
 * over the rows of other events in the same order: at worst every row of this partition (one
 * webhook, one day) between `from` and the cursor (or `to`) — no index, because one on event
 * would cost a written row per attempt to serve a filter that is rarely used.
 *
 * The event id, event and test flag are the delivery's and only its row keeps them
 * (migrations/0000_init.ts): each attempt the page passes over is joined to its delivery by a
 * primary-key lookup, one row read more per row. CROSS JOIN keeps the attempts the outer loop
 * (SQLite does not reorder it), so the page is still a range of the attempts' order and its
 * LIMIT stops the lookups; an event filter pays the lookup for each row it passes over.
 */
import type { AttemptRecord, LogFilter, Position } from "../../storage/contract";
import type { Log } from "./context";

const COLUMNS = "a.id, a.delivery_id, d.event_id, d.event, a.attempt, a.status, a.response_code, a.response_time_ms, a.error_code, a.error, d.test, a.created_at";

export function pageQuery(f: LogFilter, after: Position | null, limit: number) {
  const where: string[] = [];
  const params: (string | number)[] = [];
  let source = "attempts AS a";
  if (f.status !== undefined) {
    where.push("a.status = ?"), params.push(f.status);
    // The index's own condition, word for word: SQLite uses a partial index only when the query's WHERE says so.
    if (f.status !== "success") source = "attempts AS a INDEXED BY attempts_unsuccessful", where.push("a.status <> 'success'");
  }
  if (f.event !== undefined) where.push("d.event = ?"), params.push(f.event);
  if (f.from !== undefined) where.push("a.created_at >= ?"), params.push(f.from);
  // One upper bound only, as in src/db/attempts.ts: a cursor at or below `to` implies it, and one
  // above it (not from this list) is implied by it. A row value bounds the key range as one key.
  if (after && (f.to === undefined || after.createdAt <= f.to)) where.push("(a.created_at, a.id) < (?, ?)"), params.push(after.createdAt, after.id);
  else if (f.to !== undefined) where.push("a.created_at <= ?"), params.push(f.to);
  params.push(limit);
  const filter = where.length ? `WHERE ${where.join(" AND ")}` : "";
  return {
    sql: `SELECT ${COLUMNS} FROM ${source} CROSS JOIN deliveries AS d ON d.id = a.delivery_id ${filter} ORDER BY a.created_at DESC, a.id DESC LIMIT ?`,
    params,
  };
}

export function readPage(log: Log, f: LogFilter, after: Position | null, limit: number): AttemptRecord[] {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`limit must be a whole number from 1, not ${limit}`);
  const q = pageQuery(f, after, limit);
  return log.sql.all<AttemptRecord & Record<string, SqlStorageValue>>(q.sql, ...q.params);
}

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
 *
 * A delivery's prompt successful first attempt has no row here: its delivery's row keeps it
 * (first-attempt.ts), and withKept merges those into the page.
 */
import type { AttemptRecord, LogFilter, Position } from "../../storage/contract";
import type { Log } from "./context";
import { KEPT_WITHIN_MS, keptRecord, type KeptRow } from "./first-attempt";
import { deliveryIdFloor } from "./ids";

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
  const rows = log.sql.all<AttemptRecord & Record<string, SqlStorageValue>>(q.sql, ...q.params);
  // Kept first attempts are successes: a page of another status has none.
  if (f.status !== undefined && f.status !== "success") return rows;
  return withKept(log, f, after, limit, rows);
}

/** Deliveries read per statement while looking for kept first attempts. */
const KEPT_CHUNK = 200;
/** Above every delivery id ("dlv_" and base32). */
const ABOVE_ALL = "dlv_~";

const newerFirst = (a: AttemptRecord, b: AttemptRecord) => b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * The page's attempt rows merged with the first attempts kept in delivery rows that belong on
 * it (first-attempt.ts). A kept attempt was made within KEPT_WITHIN_MS after its delivery's
 * creation, never before: so deliveries are read newest id first, from those created at the
 * page's upper bound down, and the reading stops once every delivery not read yet (created no
 * later than the last one read) could only keep an attempt older than the page's last row.
 * When the attempt rows fill the page by themselves, deliveries created more than KEPT_WITHIN_MS
 * before the last of them are not read at all.
 */
function withKept(log: Log, f: LogFilter, after: Position | null, limit: number, rows: AttemptRecord[]): AttemptRecord[] {
  const cursor = after && (f.to === undefined || after.createdAt <= f.to) ? after : null;
  const inPage = (r: AttemptRecord) =>
    (f.from === undefined || r.created_at >= f.from) &&
    (cursor ? r.created_at < cursor.createdAt || (r.created_at === cursor.createdAt && r.id < cursor.id) : f.to === undefined || r.created_at <= f.to);
  const top = cursor ? cursor.createdAt : f.to;
  const lowest = Math.max(f.from ?? 0, rows.length === limit ? rows[limit - 1]!.created_at : 0);
  const floor = deliveryIdFloor(Math.max(0, lowest - KEPT_WITHIN_MS));
  let below = top === undefined ? ABOVE_ALL : deliveryIdFloor(top + 1);
  let page = rows;
  for (;;) {
    const chunk = log.sql.all<KeptRow & Record<string, SqlStorageValue>>(
      `SELECT id, event_id, event, test, attempt_keys, first_response_code, first_response_time_ms, created_at FROM deliveries
        WHERE id < ? AND id >= ? AND first_response_code IS NOT NULL ${f.event !== undefined ? "AND event = ?" : ""}
        ORDER BY id DESC LIMIT ?`,
      below, floor, ...(f.event !== undefined ? [f.event] : []), KEPT_CHUNK,
    );
    page = [...page, ...chunk.map(keptRecord).filter(inPage)].sort(newerFirst).slice(0, limit);
    if (chunk.length < KEPT_CHUNK) return page;
    const last = chunk.at(-1)!;
    below = last.id;
    if (page.length === limit && page[limit - 1]!.created_at > last.created_at + KEPT_WITHIN_MS) return page;
  }
}

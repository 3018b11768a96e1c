/**
 * Tenant-scoped reads of the delivery log. A page is newest first, keyed on (created_at, id), so
 * attempts logged while someone pages never shift or repeat a row. Every filter combination is
 * answered by one of the attempts_webhook_* indexes in order, without a sort: a page costs the
 * same at any log size (test/query-plans.test.ts holds this).
 */
import { fieldError } from "../errors";
import type { ExportFilters } from "../schemas/logs";

export interface AttemptRecord {
  id: string;
  delivery_id: string;
  event_id: string;
  event: string;
  attempt: number;
  status: "success" | "failed" | "retrying" | "skipped";
  response_code: number | null;
  response_time_ms: number | null;
  error_code: string | null;
  error: string | null;
  test: number;
  created_at: number;
}

export interface Position {
  createdAt: number;
  id: string;
}

export type LogFilter = Partial<Omit<ExportFilters, "to">> & { to?: number };

const COLUMNS =
  "id, delivery_id, event_id, event, attempt, status, response_code, response_time_ms, error_code, error, test, created_at";

/**
 * The index whose leading columns are exactly the equality filters, so that the rows come out
 * already in (created_at, id) order. Named, not left to the planner: given a date range and a
 * cursor (two bounds on created_at) it prefers the plain time index and would then read every
 * row of the range to find the few of one status.
 */
function indexFor(f: LogFilter): string {
  if (f.status !== undefined && f.event !== undefined) return "attempts_webhook_status_event_time";
  if (f.status !== undefined) return "attempts_webhook_status_time";
  if (f.event !== undefined) return "attempts_webhook_event_time";
  return "attempts_webhook_time";
}

/** The page query; exported so that the query-plan test checks exactly what runs. */
export function logQuery(organisationId: number, webhookId: string, f: LogFilter, after: Position | null, limit: number) {
  const where = ["webhook_id = ?", "organisation_id = ?"];
  const params: (string | number)[] = [webhookId, organisationId];
  if (f.status !== undefined) where.push("status = ?"), params.push(f.status);
  if (f.event !== undefined) where.push("event = ?"), params.push(f.event);
  if (f.from !== undefined) where.push("created_at >= ?"), params.push(f.from);
  // One upper bound only. Given two, SQLite bounds the index range by one and filters by the
  // other: with `to` and a cursor it would read every row from `to` down to the cursor, and a
  // page would cost more the deeper it is. A cursor at or below `to` implies `to`; one above it
  // (not from this list) is implied by it. A row value bounds the range as one key.
  if (after && (f.to === undefined || after.createdAt <= f.to)) where.push("(created_at, id) < (?, ?)"), params.push(after.createdAt, after.id);
  else if (f.to !== undefined) where.push("created_at <= ?"), params.push(f.to);
  params.push(limit);
  return {
    sql: `SELECT ${COLUMNS} FROM attempts INDEXED BY ${indexFor(f)} WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id DESC LIMIT ?`,
    params,
  };
}

const pageOf = (results: AttemptRecord[], limit: number) => {
  const rows = results.slice(0, limit);
  const last = rows[rows.length - 1];
  return { rows, next: results.length > limit && last ? { createdAt: last.created_at, id: last.id } : null };
};

/** A page of the log of one of the organisation's webhooks; null when it has no such webhook. */
export async function readLogPage(
  d1: D1Database,
  organisationId: number,
  webhookId: string,
  f: LogFilter,
  after: Position | null,
  limit: number,
): Promise<{ rows: AttemptRecord[]; next: Position | null } | null> {
  const q = logQuery(organisationId, webhookId, f, after, limit + 1);
  // One round trip: the ownership check and the page together.
  const [owner, page] = await d1.batch([
    d1.prepare("SELECT 1 AS found FROM webhooks WHERE organisation_id = ? AND id = ?").bind(organisationId, webhookId),
    d1.prepare(q.sql).bind(...q.params),
  ]);
  if (owner!.results.length === 0) return null;
  return pageOf(page!.results as AttemptRecord[], limit);
}

/** One page, and the position after its last row when there may be more. */
export async function listAttempts(
  d1: D1Database,
  organisationId: number,
  webhookId: string,
  f: LogFilter,
  after: Position | null,
  limit: number,
): Promise<{ rows: AttemptRecord[]; next: Position | null }> {
  const q = logQuery(organisationId, webhookId, f, after, limit + 1);
  const { results } = await d1.prepare(q.sql).bind(...q.params).all<AttemptRecord>();
  return pageOf(results, limit);
}

/** Cursors are opaque to clients: base64url of "<created_at>.<id>". */
export function encodeCursor(p: Position): string {
  return btoa(`${p.createdAt}.${p.id}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeCursor(cursor: string): Position {
  let text: string;
  try {
    text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw fieldError("cursor", "is not a cursor from this list");
  }
  const match = /^(\d{1,16})\.([A-Za-z0-9_]{1,64})$/.exec(text);
  if (!match) throw fieldError("cursor", "is not a cursor from this list");
  return { createdAt: Number(match[1]), id: match[2]! };
}

import type { StoredEvent, StoredFanout } from "../../storage/contract";
import { tableOf } from "./days";

/** An event's row in its day table: the fan-out (webhook, delivery id, revision, status) as JSON. */
export type EventRow = {
  id: string;
  event: string;
  body: string;
  request_hash: string;
  fanout: string;
  deliveries: number;
  skipped: number;
  created_at: number;
};

export const fromRow = (r: EventRow): StoredEvent => ({
  id: r.id,
  event: r.event,
  body: r.body,
  request_hash: r.request_hash,
  deliveries: r.deliveries,
  skipped: r.skipped,
  created_at: r.created_at,
  fanout: JSON.parse(r.fanout) as StoredFanout[],
});

export const insertSql = (day: number) =>
  `INSERT INTO ${tableOf(day)} (id, event, body, request_hash, fanout, deliveries, skipped, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

export const selectSql = (day: number) =>
  `SELECT id, event, body, request_hash, fanout, deliveries, skipped, created_at FROM ${tableOf(day)} WHERE id = ?`;

/** A Durable Object's SQLite takes at most 100 bound parameters per statement. */
export const MAX_BINDINGS = 100;

export const bodiesSql = (day: number, n: number) => `SELECT id, body FROM ${tableOf(day)} WHERE id IN (${Array(n).fill("?").join(", ")})`;

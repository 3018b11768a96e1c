import { toHex } from "../../lib/encoding";
import type { StoredEvent } from "../../storage/contract";
import { packBody, unpackBody, type StoredBody } from "./body";
import { tableOf } from "./days";
import { packFanout, unpackFanout } from "./fanout";

/**
 * An event's row in its day table, packed: the body as body.ts keeps it, the fan-out as
 * fanout.ts does, and the request hash as its 32 bytes. The counts of deliveries and skips are
 * not stored: they are the fan-out's. With test/rows-per-delivery.test.ts's event (a 620-byte
 * body of id-like characters, one subscriber) its values take about 660 bytes, where the
 * JSON-and-hex row took about 890.
 */
export type EventRow = {
  id: string;
  event: string;
  body: StoredBody;
  request_hash: string | ArrayBuffer;
  fanout: string;
  created_at: number;
};

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/** A SHA-256 in lowercase hex (src/delivery/accept-event.ts) as its 32 bytes, a BLOB; anything else as it is, TEXT (the storage class tells them apart). */
function packHash(hash: string): string | ArrayBuffer {
  if (!HEX_SHA256.test(hash)) return hash;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(hash.slice(2 * i, 2 * i + 2), 16);
  return bytes.buffer;
}

const unpackHash = (stored: string | ArrayBuffer) => (typeof stored === "string" ? stored : toHex(stored));

export function toRow(e: StoredEvent): EventRow {
  return { id: e.id, event: e.event, body: packBody(e.body), request_hash: packHash(e.request_hash), fanout: packFanout(e.fanout, e.created_at), created_at: e.created_at };
}

export function fromRow(r: EventRow): StoredEvent {
  const fanout = unpackFanout(r.fanout, r.created_at);
  return {
    id: r.id,
    event: r.event,
    body: unpackBody(r.body),
    request_hash: unpackHash(r.request_hash),
    deliveries: fanout.length,
    skipped: fanout.filter((f) => f.status === "skipped").length,
    created_at: r.created_at,
    fanout,
  };
}

export const insertSql = (day: number) => `INSERT INTO ${tableOf(day)} (id, event, body, request_hash, fanout, created_at) VALUES (?, ?, ?, ?, ?, ?)`;

/** The most SELECTs a Durable Object's SQLite takes in one compound statement (measured: 6 is refused). */
export const FIND_DAYS = 5;

/**
 * The lookup of one id across the given days' tables (bound once, as ?1), in their order, in one
 * statement. A new event misses in every live day; with a month of days a statement per day took
 * about 110 µs of the shard's time, and unions of FIND_DAYS about 50 µs (measured in workerd). An
 * id is stored in at most one day (the shard looks before it inserts).
 */
export const findSql = (days: number[]) =>
  `${days.map((day) => `SELECT id, event, body, request_hash, fanout, created_at FROM ${tableOf(day)} WHERE id = ?1`).join(" UNION ALL ")} LIMIT 1`;

/** A Durable Object's SQLite takes at most 100 bound parameters per statement. */
export const MAX_BINDINGS = 100;

export const bodiesSql = (day: number, n: number) => `SELECT id, body FROM ${tableOf(day)} WHERE id IN (${Array(n).fill("?").join(", ")})`;

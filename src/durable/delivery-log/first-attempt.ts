/**
 * A delivery's first attempt kept in the delivery's row (migrations/0001_first_attempt_kept.ts).
 *
 * Most deliveries end with one successful attempt, made moments after the event came in, and
 * that attempt is the moment the delivery's row is first written (record.ts): writing it there
 * instead of as a row of attempts makes a delivered event two rows written (its event in the
 * shard, this row) where it was three. Rows written are most of what a delivery costs.
 *
 * The log is ordered on the attempt's (created_at, id) and deliveries on their id, which orders
 * them by creation. The two orders agree within KEPT_WITHIN_MS, because a first attempt is kept
 * here only when it was made within that time of its delivery's creation (never before it): so a
 * page of the log finds the kept attempts that belong to it by reading deliveries created
 * between the page's lower bound less KEPT_WITHIN_MS and its upper bound (page.ts). A first
 * attempt made later, or one that did not succeed, is a row of attempts as before.
 */
import type { AttemptDetailRow, AttemptRecord, AttemptWrite, NewDelivery } from "../../storage/contract";
import { keysOf, type AttemptKey } from "./state";
import { unpackHeaders } from "./packed-headers";
import { packRevision, unpackRevision, type Origin } from "./revision";
import type { DeliveryRow } from "./schema";

/**
 * How late after its delivery's creation a first attempt may be and still be kept in its row.
 * A page reads this much more of deliveries than it shows (at 100 deliveries/s, 1,000 rows: read
 * rows cost a thousandth of written ones); a first attempt later than this costs one row more.
 */
export const KEPT_WITHIN_MS = 10_000;

/** Whether the first attempt `a` of the delivery `d`, not stored yet, is kept in its row. */
export function keepsFirst(d: Pick<NewDelivery, "created_at">, origin: Origin, a: AttemptWrite): boolean {
  return (
    a.attempt === 1 &&
    a.status === "success" &&
    a.response_code !== null &&
    a.created_at >= d.created_at &&
    a.created_at - d.created_at <= KEPT_WITHIN_MS &&
    // Its revision is the one the delivery was created with, which the row says without a column.
    packRevision(a.revision_id, origin) === null
  );
}

type Keeping = Pick<DeliveryRow, "first_response_code" | "attempt_keys">;

/** The key of the first attempt this row keeps, if it keeps one. */
export function keptKey(r: Keeping): AttemptKey | undefined {
  return r.first_response_code === null ? undefined : keysOf(r)[0];
}

/** The kept first attempt as the delivery detail shows it. */
export function keptDetail(r: DeliveryRow): AttemptDetailRow | undefined {
  const key = keptKey(r);
  if (!key) return undefined;
  const [created_at, id] = key;
  return {
    id, attempt: 1, status: "success", response_code: r.first_response_code, response_time_ms: r.first_response_time_ms,
    response_content_type: r.first_response_content_type, response_body: r.first_response_body, error_code: null, error: null,
    created_at, signed_headers: unpackHeaders(r.first_signed_headers, r.id, created_at), revision_id: unpackRevision(null, r),
  };
}

/** What a page reads of a row that keeps its first attempt. */
export type KeptRow = Pick<DeliveryRow, "id" | "event_id" | "event" | "test" | "attempt_keys" | "first_response_code" | "first_response_time_ms" | "created_at">;

/** The kept first attempt as a row of the log. */
export function keptRecord(r: KeptRow): AttemptRecord {
  const [created_at, id] = keptKey(r)!;
  return {
    id, delivery_id: r.id, event_id: r.event_id, event: r.event, attempt: 1, status: "success", response_code: r.first_response_code,
    response_time_ms: r.first_response_time_ms, error_code: null, error: null, test: r.test, created_at,
  };
}

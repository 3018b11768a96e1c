/**
 * Logging attempts, with the D1 version's rules (src/delivery/record.ts before issue 15):
 * an attempt is logged only if its delivery is still in the state the attempt started from
 * (pending, attempts = attempt - 1), and the delivery moves on with it, in one synchronous
 * transaction; so a duplicate message can send twice but never logs or counts twice. A skip
 * logs attempt = attempts + 1 without using one up (a replay gets all that were left). An
 * attempt whose row already exists is a retried call that committed: it counts as won.
 *
 * A delivery's first attempt usually finds no row: ingest writes none (src/delivery/accept-event.ts).
 * The call then brings the delivery (`fresh`), and it is inserted already moved, as one row; a
 * prompt success is kept in that row too, with no row of attempts (first-attempt.ts).
 *
 * Rows written for a delivery's successful first attempt: its row alone (no index entry); for
 * any other attempt, the attempt row and the delivery's insert or update. Once per call, the
 * totals row and one rollup row per minute.
 */
import type { AttemptWrite, NewDelivery } from "../../storage/contract";
import type { Log } from "./context";
import { Tally } from "./counting";
import { keepsFirst, keptKey } from "./first-attempt";
import { packKeys } from "./keys";
import { packHeaders } from "./packed-headers";
import { packRevision, type Origin } from "./revision";
import type { DeliveryRow } from "./schema";
import { keysOf } from "./state";

/**
 * An attempt row: what its delivery row does not hold already (migrations/0000_init.ts). The
 * revision and the signing headers are packed against the delivery (revision.ts, packed-headers.ts).
 */
export function insertAttempt(log: Log, d: Origin, a: AttemptWrite) {
  log.sql.all(
    `INSERT INTO attempts (created_at, id, delivery_id, attempt, status, response_code, response_time_ms, error_code, error,
                           revision_id, signed_headers, response_content_type, response_body)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    a.created_at, a.id, a.delivery_id, a.attempt, a.status, a.response_code, a.response_time_ms, a.error_code, a.error,
    packRevision(a.revision_id, d), packHeaders(a.signed_headers, a.delivery_id, a.created_at), a.response_content_type, a.response_body,
  );
}

export function checkWrites(attempts: AttemptWrite[]) {
  for (const a of attempts) {
    if (!["success", "failed", "retrying", "skipped"].includes(a.status)) throw new Error(`attempt ${a.id}: unknown status ${a.status}`);
    if (a.status === "retrying" && a.next_attempt_at === null) throw new Error(`attempt ${a.id}: a retrying attempt needs next_attempt_at`);
    if (!Number.isInteger(a.attempt) || a.attempt < 1) throw new Error(`attempt ${a.id}: attempt must be a whole number from 1, not ${a.attempt}`);
  }
}

type Moving = Pick<DeliveryRow, "status" | "attempts" | "test" | "attempt_keys" | "revision_id" | "origin_revision_id" | "first_response_code">;

/** A delivery not yet stored, as its row would be at creation: pending, nothing attempted. */
const unstored = (d: NewDelivery): Moving => ({
  status: "pending", attempts: 0, test: 0, attempt_keys: packKeys([]), revision_id: d.revision_id, origin_revision_id: null, first_response_code: null,
});

/** Whether this very attempt is logged already: in its own row, or kept in its delivery's (first-attempt.ts). */
function isLogged(log: Log, a: AttemptWrite, d: Moving | undefined): boolean {
  const key = d && keptKey(d);
  if (key && key[0] === a.created_at && key[1] === a.id) return true;
  return log.sql.first("SELECT 1 AS found FROM attempts WHERE created_at = ? AND id = ?", a.created_at, a.id) !== undefined;
}

/**
 * Answers the delivery ids whose move this call won, and whether anything counted changed.
 * `fresh`: deliveries the caller holds that may not be stored yet (first attempts).
 */
export function recordAttempts(log: Log, attempts: AttemptWrite[], now: number, fresh: Map<string, NewDelivery> = new Map()): { won: string[]; counted: boolean } {
  const won = new Set<string>();
  const tally = new Tally();
  log.storage.transactionSync(() => {
    for (const a of attempts) {
      const stored = log.sql.first<Moving>(
        "SELECT status, attempts, test, attempt_keys, revision_id, origin_revision_id, first_response_code FROM deliveries WHERE id = ?",
        a.delivery_id,
      );
      if (isLogged(log, a, stored)) {
        won.add(a.delivery_id);
        continue;
      }
      const created = stored ? undefined : fresh.get(a.delivery_id);
      const d = stored ?? (created && unstored(created));
      if (!d || d.status !== "pending" || d.attempts !== a.attempt - 1) continue;
      const kept = created !== undefined && keepsFirst(created, d, a);
      if (!kept) insertAttempt(log, d, a);
      const skip = a.status === "skipped";
      const status = a.status === "retrying" ? "pending" : a.status;
      const used = skip ? a.attempt - 1 : a.attempt;
      const keys = packKeys([...keysOf(d), [a.created_at, a.id]]);
      if (created) {
        log.sql.all(
          `INSERT INTO deliveries
             (id, revision_id, event_id, event, status, attempts, last_attempt, next_attempt_at, test, call, created_at, updated_at, resent_by, attempt_keys,
              first_response_code, first_response_time_ms, first_signed_headers, first_response_content_type, first_response_body)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, CASE WHEN ?5 = 'pending' THEN MAX(?7, ?8 + 1) END, 0, 0, ?8, ?9, NULL, ?10, ?11, ?12, ?13, ?14, ?15)`,
          created.id, created.revision_id, created.event_id, created.event, status, used, a.next_attempt_at, created.created_at, now, keys,
          ...(kept
            ? [a.response_code, a.response_time_ms, packHeaders(a.signed_headers, a.delivery_id, a.created_at), a.response_content_type, a.response_body]
            : [null, null, null, null, null]),
        );
      } else {
        log.sql.all(
          // A retry due later than the delivery's creation stays in deliveries_due (the sweep's
          // index); MAX only matters for a zero wait in the creation's own millisecond.
          `UPDATE deliveries SET status = ?1, attempts = ?2, next_attempt_at = CASE WHEN ?1 = 'pending' THEN MAX(?3, created_at + 1) END,
                  updated_at = ?4, attempt_keys = ?5
            WHERE id = ?6 AND status = 'pending' AND attempts = ?7`,
          status, used, a.next_attempt_at, now, keys, a.delivery_id, d.attempts,
        );
      }
      tally.add({ test: d.test, status: a.status, created_at: a.created_at, response_time_ms: a.response_time_ms });
      won.add(a.delivery_id);
    }
    tally.write(log);
  });
  return { won: [...won], counted: !tally.empty };
}

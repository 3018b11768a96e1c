/**
 * Deliveries arrive here from ingest (accept) and from test sends and checks (logCall). Both
 * are idempotent on the delivery id, so a caller that is not sure its call went through makes
 * it again and nothing is written twice.
 */
import { newId } from "../../lib/ids";
import type { AttemptWrite, LogScope, NewDelivery } from "../../storage/contract";
import { dayOf, timeOfId } from "../../storage/partitions";
import type { Log } from "./context";
import { Tally } from "./counting";
import { packKeys } from "./keys";
import { insertAttempt } from "./record";

const SKIP_CODE = "paused";
const SKIP_ERROR = "The webhook was paused";

/** A delivery that does not carry its creation time in its id, or of another day, is a caller's bug: refused before anything is written. */
export function checkNew(scope: LogScope, deliveries: NewDelivery[]) {
  for (const d of deliveries) {
    if (d.status !== "pending" && d.status !== "skipped") throw new Error(`delivery ${d.id}: status must be pending or skipped, not ${d.status}`);
    if (!d.id.startsWith("dlv_") || timeOfId(d.id) !== d.created_at) throw new Error(`delivery ${d.id}: created_at ${d.created_at} must be the time its id carries (newId("dlv", created_at))`);
    if (dayOf(d.created_at) !== scope.day) throw new Error(`delivery ${d.id}: created on day ${dayOf(d.created_at)}, not this partition's day ${scope.day}`);
  }
}

/**
 * INSERT OR IGNORE each delivery. A skipped one (paused webhook) also logs its skip attempt now,
 * as the D1 trigger deliveries_skipped_log did: attempt 1, "paused", no revision, and, as then,
 * not counted in the statistics. A pending one is written here only when its first message may
 * be lost (the shard's sweep, a retried ingest: src/durable/event-shard/sweep.ts): `dueAt` puts
 * it in deliveries_due, so this partition's sweep sends it again if that message is lost too.
 * (A pending one without `dueAt` is due at its creation, above the sweep's mark.) Answers the
 * ids newly inserted as pending: a repeated call inserts nothing and answers none.
 */
export function insertDeliveries(log: Log, deliveries: NewDelivery[], dueAt?: number): string[] {
  const fresh: string[] = [];
  log.storage.transactionSync(() => {
    for (const d of deliveries) {
      const skip = d.status === "skipped";
      const attemptId = skip ? newId("att", d.created_at) : null;
      const inserted = log.sql.all(
        `INSERT OR IGNORE INTO deliveries
           (id, revision_id, event_id, event, status, attempts, last_attempt, next_attempt_at, test, call, created_at, updated_at, resent_by, attempt_keys)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, NULL, ?6, 0, 0, ?7, ?7, NULL, ?8)
         RETURNING id`,
        d.id, d.revision_id, d.event_id, d.event, d.status, skip ? null : dueAt === undefined ? d.created_at : Math.max(dueAt, d.created_at + 1), d.created_at,
        packKeys(skip ? [[d.created_at, attemptId!]] : []),
      );
      if (inserted.length === 0) continue;
      if (!skip) {
        fresh.push(d.id);
        continue;
      }
      insertAttempt(log, { revision_id: d.revision_id, origin_revision_id: null }, {
        id: attemptId!, delivery_id: d.id, attempt: 1, status: "skipped", response_code: null, response_time_ms: null,
        error_code: SKIP_CODE, error: SKIP_ERROR, created_at: d.created_at, next_attempt_at: null, revision_id: null,
        signed_headers: null, response_content_type: null, response_body: null,
      });
    }
  });
  return fresh;
}

export interface CalledDelivery {
  id: string;
  event_id: string;
  event: string;
  revision_id: string;
  test: boolean;
  created_at: number;
}

export function checkCall(delivery: CalledDelivery, attempt: AttemptWrite) {
  // Delivery ids sort with the sweep's mark (ids.ts); another kind of id would sit above it for ever.
  if (!delivery.id.startsWith("dlv_")) throw new Error(`delivery ${delivery.id}: not a delivery id (newId("dlv"))`);
  if (attempt.delivery_id !== delivery.id) throw new Error(`attempt ${attempt.id} is of delivery ${attempt.delivery_id}, not ${delivery.id}`);
  if (attempt.status !== "success" && attempt.status !== "failed") throw new Error(`attempt ${attempt.id}: a call ends success or failed, not ${attempt.status}`);
  if (attempt.attempt !== 1) throw new Error(`attempt ${attempt.id}: a call is attempt 1, not ${attempt.attempt}`);
}

/**
 * A test send or a check: a delivery that ended with its one attempt, written together. A
 * check counts in the statistics like any attempt; a test send does not. Answers whether
 * anything counted was written (so the head's summary is due).
 */
export function insertCall(log: Log, delivery: CalledDelivery, attempt: AttemptWrite): boolean {
  const test = delivery.test ? 1 : 0;
  const tally = new Tally();
  log.storage.transactionSync(() => {
    const inserted = log.sql.all(
      `INSERT OR IGNORE INTO deliveries
         (id, revision_id, event_id, event, status, attempts, last_attempt, next_attempt_at, test, call, created_at, updated_at, resent_by, attempt_keys)
       VALUES (?1, ?2, ?3, ?4, ?5, 1, NULL, NULL, ?6, 1, ?7, ?8, NULL, ?9)
       RETURNING id`,
      delivery.id, delivery.revision_id, delivery.event_id, delivery.event, attempt.status, test, delivery.created_at, attempt.created_at,
      packKeys([[attempt.created_at, attempt.id]]),
    );
    if (inserted.length === 0) return;
    insertAttempt(log, { revision_id: delivery.revision_id, origin_revision_id: null }, attempt);
    tally.add({ test, status: attempt.status, created_at: attempt.created_at, response_time_ms: attempt.response_time_ms });
    tally.write(log);
  });
  return !tally.empty;
}

/**
 * Ingest: record an event and fan it out to its deliveries in one D1 transaction (one round
 * trip, shared with concurrent ingest requests), then enqueue them. The event is durable before
 * anyone is told 202; if the queue send fails afterwards, the sweeper finds the deliveries
 * (pending and due) and enqueues them again.
 *
 * The fan-out is done by SQL: every active or paused event-notification webhook of the
 * organisation subscribed to the event gets a delivery (paused ones a `skipped` one, which logs
 * itself by trigger). Two statements: the deliveries, only while the event id is free, then the
 * event with its counts (the answer to every retry). A duplicate, concurrent or not, adds
 * nothing, and is told the stored answer, or 409 when its body differs.
 */
import type { Env } from "../env";
import { ApiError } from "../errors";
import { sha256Hex } from "../lib/encoding";
import { canonicalJson } from "../lib/canonical-json";
import { newId } from "../lib/ids";
import { CommitOutcomeUnknown, GroupCommit, type Statement } from "../lib/group-commit";
import { Timing } from "../lib/server-timing";
import { enqueueDeliveries } from "./enqueue";

export interface EventInput {
  organisation_id: number;
  event: string;
  data: Record<string, unknown>;
  event_id?: string;
  timestamp?: string;
}

export interface Accepted {
  event_id: string;
  deliveries: number;
  skipped: number;
  duplicate: boolean;
}

type Row = { id?: string; status?: string; request_hash?: string; deliveries?: number; skipped?: number };
const statement = (sql: string, params: unknown[]): Statement => ({ sql, params });
const NEW_ID = (prefix: string) => `'${prefix}_' || lower(hex(randomblob(12)))`;

/**
 * Concurrent ingest requests of an isolate share D1 transactions (see GroupCommit): under load
 * one round trip records many events, each request still answered only once its own committed.
 * A group holds at most 50 events (100 statements) and about 1 MiB of bodies. A request queued
 * 10 s behind a write that does not come back gives up (nothing of it was sent); one whose
 * write was sent waits 35 s, past D1's 30 s limit on a query (D1 limits page), before it says
 * the outcome is unknown.
 */
const commits = new GroupCommit({ maxEntries: 50, maxBytes: 1024 * 1024, stallMs: 10_000, settleMs: 35_000 });

/**
 * The event could not be recorded, or it is not known whether it was. Either way it carries the
 * event id the write used (the caller's, or the one assigned before the write): a retry with it
 * is idempotent, so it can never record the event twice.
 */
export class EventNotRecorded extends Error {
  constructor(
    readonly eventId: string,
    readonly outcome: "not_recorded" | "unknown",
    cause: unknown,
  ) {
    super(`event ${eventId} ${outcome === "unknown" ? "may or may not have been recorded" : "was not recorded"}: ${String(cause)}`, { cause });
  }
}

export async function acceptEvent(env: Env, input: EventInput, timing = new Timing(), waitUntil?: (p: Promise<unknown>) => void): Promise<Accepted> {
  const now = Date.now();
  const orgId = input.organisation_id;
  const eventId = input.event_id ?? newId("evt", now);
  const requestHash = await sha256Hex(canonicalJson({ ...input, event_id: undefined }));
  const timestamp = input.timestamp ?? new Date(now).toISOString();
  // Serialised once: these exact bytes are signed and sent to every receiver.
  const body = JSON.stringify({ event: input.event, event_id: eventId, timestamp, organisation_id: orgId, data: input.data });

  // ?1 organisation, ?2 event id, ?3 event name, ?4 now, ?5 request hash, ?6 body
  // A batch is one transaction and D1 runs one at a time, so "the event is not there yet" in the
  // first statement still holds when the second inserts it; in a group, a duplicate of an event
  // earlier in the same group finds it there.
  const db = env.DB;
  const { results, groupSize } = await timing.measure("d1", () => commits.run(db, [
    statement(
      `INSERT INTO deliveries (id, organisation_id, webhook_id, revision_id, event_id, event, status, attempts, next_attempt_at, test, created_at, updated_at)
       SELECT ${NEW_ID("dlv")}, ?1, w.id, w.revision_id, ?2, ?3,
              CASE w.status WHEN 'active' THEN 'pending' ELSE 'skipped' END, 0,
              CASE w.status WHEN 'active' THEN ?4 END, 0, ?4, ?4
         FROM webhooks w
        WHERE w.organisation_id = ?1 AND w.type = 'event_notification' AND w.status IN ('active', 'paused')
          AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = ?3)
          AND NOT EXISTS (SELECT 1 FROM events e WHERE e.organisation_id = ?1 AND e.id = ?2)
       ON CONFLICT DO NOTHING
       RETURNING id, status`,
      [orgId, eventId, input.event, now],
    ),
    statement(
      `INSERT INTO events (organisation_id, id, event, body, request_hash, deliveries, skipped, created_at)
       SELECT ?1, ?2, ?3, ?6, ?5,
              (SELECT count(*) FROM deliveries WHERE organisation_id = ?1 AND event_id = ?2),
              (SELECT count(*) FROM deliveries WHERE organisation_id = ?1 AND event_id = ?2 AND status = 'skipped'), ?4
        WHERE EXISTS (SELECT 1 FROM organisations WHERE id = ?1)
       ON CONFLICT DO NOTHING
       RETURNING request_hash, deliveries, skipped`,
      [orgId, eventId, input.event, now, requestHash, body],
    ),
  ], body.length, waitUntil)).catch((err: unknown) => {
    throw new EventNotRecorded(eventId, err instanceof CommitOutcomeUnknown ? "unknown" : "not_recorded", err);
  });
  timing.note("group", groupSize);
  const [fanout, inserted] = results as D1Result<Row>[];

  let stored = inserted!.results[0];
  const duplicate = !stored;
  if (duplicate) {
    // Not inserted: the event id was taken (a retry, or a concurrent duplicate), or no such organisation.
    stored = (await db.prepare("SELECT request_hash, deliveries, skipped FROM events WHERE organisation_id = ? AND id = ?").bind(orgId, eventId).first<Row>()) ?? undefined;
    if (!stored) throw new ApiError("NOT_FOUND", `Organisation ${orgId} not found`);
    if (stored.request_hash !== requestHash) {
      throw new ApiError("CONFLICT", `Event ${eventId} was already accepted with a different body; use a new event_id`);
    }
  } else {
    const pending = fanout!.results.filter((d) => d.status === "pending").map((d) => ({ delivery_id: d.id!, attempt: 1 }));
    if (pending.length > 0) await timing.measure("queue", () => enqueueDeliveries(env, pending));
  }
  return { event_id: eventId, deliveries: stored!.deliveries!, skipped: stored!.skipped!, duplicate };
}

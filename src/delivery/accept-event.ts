/**
 * Ingest: record an event and fan it out to its deliveries in one D1 transaction (one round
 * trip), then enqueue them. The event is durable before anyone is told 202; if the queue send
 * fails afterwards, the sweeper finds the deliveries (pending and due) and enqueues them again.
 *
 * The fan-out is done by SQL: every active or paused event-notification webhook of the
 * organisation subscribed to the event gets a delivery (paused ones a `skipped` one, logged).
 * Deliveries are written only while the event row is ours (same request hash), and at most one
 * per event and webhook, so concurrent duplicates can neither add deliveries nor be told 202
 * with another body.
 */
import type { Env } from "../env";
import { ApiError } from "../errors";
import { sha256Hex } from "../lib/encoding";
import { canonicalJson } from "../lib/canonical-json";
import { newId } from "../lib/ids";
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

const OURS = "EXISTS (SELECT 1 FROM events e WHERE e.organisation_id = ?1 AND e.id = ?2 AND e.request_hash = ?3)";
const NEW_ID = (prefix: string) => `'${prefix}_' || lower(hex(randomblob(12)))`;

export async function acceptEvent(env: Env, input: EventInput, timing = new Timing()): Promise<Accepted> {
  const now = Date.now();
  const orgId = input.organisation_id;
  const eventId = input.event_id ?? newId("evt", now);
  const requestHash = await sha256Hex(canonicalJson({ ...input, event_id: undefined }));
  const timestamp = input.timestamp ?? new Date(now).toISOString();
  // Serialised once: these exact bytes are signed and sent to every receiver.
  const body = JSON.stringify({ event: input.event, event_id: eventId, timestamp, organisation_id: orgId, data: input.data });

  // ?1 organisation, ?2 event id, ?3 request hash, ?4 event name, ?5 now
  const db = env.DB;
  const [inserted, fanout, , , answer] = await timing.measure("d1", () => db.batch<{ id?: string; status?: string; request_hash?: string; deliveries?: number; skipped?: number }>([
    db.prepare(
      `INSERT INTO events (organisation_id, id, event, body, request_hash, deliveries, skipped, created_at)
       SELECT ?1, ?2, ?4, ?6, ?3, 0, 0, ?5 WHERE EXISTS (SELECT 1 FROM organisations WHERE id = ?1)
       ON CONFLICT DO NOTHING`,
    ).bind(orgId, eventId, requestHash, input.event, now, body),
    db.prepare(
      `INSERT INTO deliveries (id, organisation_id, webhook_id, revision_id, event_id, event, status, attempts, next_attempt_at, test, created_at, updated_at)
       SELECT ${NEW_ID("dlv")}, ?1, w.id, w.revision_id, ?2, ?4,
              CASE w.status WHEN 'active' THEN 'pending' ELSE 'skipped' END, 0,
              CASE w.status WHEN 'active' THEN ?5 END, 0, ?5, ?5
         FROM webhooks w
        WHERE w.organisation_id = ?1 AND w.type = 'event_notification' AND w.status IN ('active', 'paused')
          AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = ?4) AND ${OURS}
       ON CONFLICT DO NOTHING
       RETURNING id, status`,
    ).bind(orgId, eventId, requestHash, input.event, now),
    db.prepare(
      `INSERT INTO attempts (id, organisation_id, webhook_id, delivery_id, event_id, event, attempt, status, error_code, error, test, created_at)
       SELECT ${NEW_ID("att")}, d.organisation_id, d.webhook_id, d.id, d.event_id, d.event, 1, 'skipped', 'paused', 'The webhook was paused', 0, ?5
         FROM deliveries d
        WHERE d.organisation_id = ?1 AND d.event_id = ?2 AND d.status = 'skipped' AND d.attempts = 0 AND ${OURS}
          AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.delivery_id = d.id)`,
    ).bind(orgId, eventId, requestHash, input.event, now),
    db.prepare(
      `UPDATE events SET
         deliveries = (SELECT count(*) FROM deliveries WHERE organisation_id = ?1 AND event_id = ?2),
         skipped = (SELECT count(*) FROM deliveries WHERE organisation_id = ?1 AND event_id = ?2 AND status = 'skipped' AND attempts = 0)
       WHERE organisation_id = ?1 AND id = ?2 AND request_hash = ?3 AND created_at = ?5`,
    ).bind(orgId, eventId, requestHash, input.event, now),
    db.prepare("SELECT request_hash, deliveries, skipped FROM events WHERE organisation_id = ?1 AND id = ?2").bind(orgId, eventId),
  ]));

  const stored = answer!.results[0];
  if (!stored) throw new ApiError("NOT_FOUND", `Organisation ${orgId} not found`);
  if (stored.request_hash !== requestHash) {
    throw new ApiError("CONFLICT", `Event ${eventId} was already accepted with a different body; use a new event_id`);
  }
  const duplicate = inserted!.meta.changes === 0;
  if (!duplicate) {
    const pending = fanout!.results.filter((d) => d.status === "pending").map((d) => ({ delivery_id: d.id!, attempt: 1 }));
    if (pending.length > 0) await timing.measure("queue", () => enqueueDeliveries(env, pending));
  }
  return { event_id: eventId, deliveries: stored.deliveries!, skipped: stored.skipped!, duplicate };
}

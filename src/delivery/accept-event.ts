/**
 * Ingest: record an event and its deliveries in one D1 transaction, then enqueue them.
 * The event is durable before anyone is told 202; if the queue send fails afterwards, the
 * sweeper finds the deliveries (they are pending and due) and enqueues them again.
 *
 * Hot path: one read batch, one write batch, one queue send. Raw prepared statements here.
 */
import type { Env } from "../env";
import { ApiError } from "../errors";
import { sha256Hex } from "../lib/encoding";
import { canonicalJson } from "../lib/canonical-json";
import { derivedId, newId } from "../lib/ids";
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

interface Prior {
  request_hash: string;
  deliveries: number;
  skipped: number;
}

interface Subscriber {
  id: string;
  status: "active" | "paused";
  events: string;
  revision_id: string;
}

export async function acceptEvent(env: Env, input: EventInput): Promise<Accepted> {
  const now = Date.now();
  const orgId = input.organisation_id;
  const eventId = input.event_id ?? newId("evt", now);
  const requestHash = await sha256Hex(canonicalJson({ ...input, event_id: undefined }));

  const [org, existing, subs] = await env.DB.batch([
    env.DB.prepare("SELECT id FROM organisations WHERE id = ?").bind(orgId),
    env.DB.prepare("SELECT request_hash, deliveries, skipped FROM events WHERE organisation_id = ? AND id = ?").bind(orgId, eventId),
    env.DB.prepare(
      "SELECT id, status, events, revision_id FROM webhooks WHERE organisation_id = ? AND type = 'event_notification' AND status IN ('active', 'paused')",
    ).bind(orgId),
  ]);
  if (!org!.results.length) throw new ApiError("NOT_FOUND", `Organisation ${orgId} not found`);
  const prior = existing!.results[0] as unknown as Prior | undefined;
  if (prior) return answerDuplicate(prior, eventId, requestHash);

  const timestamp = input.timestamp ?? new Date(now).toISOString();
  // Serialised once: these exact bytes are signed and sent to every receiver.
  const body = JSON.stringify({ event: input.event, event_id: eventId, timestamp, organisation_id: orgId, data: input.data });
  const targets = (subs!.results as unknown as Subscriber[]).filter((w) => (JSON.parse(w.events) as string[]).includes(input.event));
  const skippedCount = targets.filter((w) => w.status === "paused").length;
  const deliveryIds = await Promise.all(targets.map((w) => derivedId("dlv", orgId, eventId, w.id)));

  // Deliveries are written only while the event row is ours (same hash): a concurrent duplicate
  // with another body can neither add deliveries nor be told 202.
  const ours = "EXISTS (SELECT 1 FROM events WHERE organisation_id = ? AND id = ? AND request_hash = ?)";
  const stmts: D1PreparedStatement[] = [
    env.DB.prepare(
      "INSERT INTO events (organisation_id, id, event, body, request_hash, deliveries, skipped, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    ).bind(orgId, eventId, input.event, body, requestHash, targets.length, skippedCount, now),
  ];
  targets.forEach((w, i) => {
    const skipped = w.status === "paused";
    stmts.push(
      env.DB.prepare(
        `INSERT INTO deliveries (id, organisation_id, webhook_id, revision_id, event_id, event, status, attempts, next_attempt_at, test, created_at, updated_at)
         SELECT ?, ?, ?, ?, ?, ?, ?, 0, ?, 0, ?, ? WHERE ${ours} ON CONFLICT DO NOTHING`,
      ).bind(deliveryIds[i], orgId, w.id, w.revision_id, eventId, input.event, skipped ? "skipped" : "pending", skipped ? null : now, now, now, orgId, eventId, requestHash),
    );
    if (skipped) {
      stmts.push(
        env.DB.prepare(
          `INSERT INTO attempts (id, organisation_id, webhook_id, delivery_id, event_id, event, attempt, status, error_code, error, test, created_at)
           SELECT ?, ?, ?, ?, ?, ?, 1, 'skipped', 'paused', 'The webhook was paused', 0, ? WHERE changes() = 1`,
        ).bind(newId("att", now), orgId, w.id, deliveryIds[i], eventId, input.event, now),
      );
    }
  });
  const results = await env.DB.batch(stmts);
  if (results[0]!.meta.changes === 0) {
    // Lost a race with a concurrent request for the same event id.
    const row = await env.DB.prepare("SELECT request_hash, deliveries, skipped FROM events WHERE organisation_id = ? AND id = ?")
      .bind(orgId, eventId)
      .first<Prior>();
    return answerDuplicate(row!, eventId, requestHash);
  }

  const pending = deliveryIds.filter((_, i) => targets[i]!.status === "active");
  await enqueueDeliveries(env, pending.map((id) => ({ delivery_id: id, attempt: 1 })));
  return { event_id: eventId, deliveries: targets.length, skipped: skippedCount, duplicate: false };
}

function answerDuplicate(prior: Prior, eventId: string, requestHash: string): Accepted {
  if (prior.request_hash !== requestHash) {
    throw new ApiError("CONFLICT", `Event ${eventId} was already accepted with a different body; use a new event_id`);
  }
  return { event_id: eventId, deliveries: prior.deliveries, skipped: prior.skipped, duplicate: true };
}

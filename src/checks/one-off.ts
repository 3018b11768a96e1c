/**
 * Calls made right away rather than through the queue (test events and verification checks):
 * the webhook they go to, and their log. Each call is one delivery with one attempt, written
 * together after the call, so that it shows in the logs like any delivery. Test rows have
 * test = 1, which the statistics trigger ignores; check rows count.
 */
import type { DeliveryRow } from "../delivery/load";
import type { Outcome } from "../delivery/retry-policy";
import type { Env } from "../env";
import { newId } from "../lib/ids";

export interface Target {
  id: string;
  organisation_id: number;
  type: "event_notification" | "verification_check";
  status: "inactive" | "active" | "paused";
  paused_reason: string | null;
  url: string;
  method: string;
  headers_enc: string;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: number | null;
  revision_id: string;
  criteria: string | null;
  failure_streak: number;
}

export function loadTarget(env: Env, organisationId: number, webhookId: string): Promise<Target | null> {
  return env.DB.prepare(
    `SELECT id, organisation_id, type, status, paused_reason, url, method, headers_enc, secret_enc, previous_secret_enc, previous_secret_expires_at, revision_id, criteria, failure_streak
       FROM webhooks WHERE organisation_id = ? AND id = ?`,
  )
    .bind(organisationId, webhookId)
    .first<Target>();
}

export interface Call {
  deliveryId: string;
  eventId: string;
  event: string;
  /** The exact bytes to sign and send. */
  body: string;
}

/** The shape the delivery pipeline sends from, for the webhook's current revision. */
export const asDeliveryRow = (t: Target, call: Call): DeliveryRow => ({
  id: call.deliveryId,
  organisation_id: t.organisation_id,
  webhook_id: t.id,
  revision_id: t.revision_id,
  event_id: call.eventId,
  event: call.event,
  status: "pending",
  attempts: 0,
  body: call.body,
  url: t.url,
  method: t.method,
  headers_enc: t.headers_enc,
  secret_enc: t.secret_enc,
  previous_secret_enc: t.previous_secret_enc,
  previous_secret_expires_at: t.previous_secret_expires_at,
  webhook_status: t.status,
  failure_streak: t.failure_streak,
  // A test event or check is one send in its own request: no lane.
  slow_since: null,
  last_attempt: null,
  // Sent once, in the request that asked for it: never retried.
  retry_schedule: "[]",
});

export function newCall(event: string, now = Date.now()): Omit<Call, "body"> {
  return { deliveryId: newId("dlv", now), eventId: newId("evt", now), event };
}

/** An Outcome whose error code may also be one of the checks' own (invalid_response). */
export type Logged = Omit<Outcome, "errorCode"> & { errorCode: string | null };

/** Writes the delivery and its attempt; nothing if the webhook was deleted meanwhile (its logs went with it). */
export async function logCall(env: Env, t: Target, call: Call, outcome: Logged, opts: { test: boolean; startedAt: number }) {
  const status = outcome.ok ? "success" : "failed";
  const now = Date.now();
  const test = opts.test ? 1 : 0;
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO deliveries (id, organisation_id, webhook_id, revision_id, event_id, event, status, attempts, next_attempt_at, test, created_at, updated_at)
       SELECT ?, ?, ?, ?, ?, ?, ?, 1, NULL, ?, ?, ? WHERE EXISTS (SELECT 1 FROM webhooks WHERE organisation_id = ? AND id = ?)`,
    ).bind(call.deliveryId, t.organisation_id, t.id, t.revision_id, call.eventId, call.event, status, test, opts.startedAt, now, t.organisation_id, t.id),
    env.DB.prepare(
      `INSERT INTO attempts (id, organisation_id, webhook_id, delivery_id, event_id, event, attempt, status, response_code, response_time_ms, error_code, error, test, created_at, revision_id, response_content_type, response_body, signed_headers)
       SELECT ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE changes() = 1`,
    ).bind(
      newId("att", opts.startedAt), t.organisation_id, t.id, call.deliveryId, call.eventId, call.event, status,
      outcome.statusCode, outcome.responseTimeMs, outcome.errorCode, outcome.error, test, opts.startedAt,
      t.revision_id, outcome.response?.contentType ?? null, outcome.response?.body ?? null, outcome.signedHeaders ?? null,
    ),
  ]);
}

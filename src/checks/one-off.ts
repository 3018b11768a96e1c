/**
 * Calls made right away rather than through the queue (test events and verification checks):
 * the webhook they go to, and their log. Each call is one delivery with one attempt, written
 * together after the call, so that it shows in the logs like any delivery. Test rows have
 * test = 1, which the statistics leave out; check rows count.
 */
import type { DeliveryRow } from "../delivery/load";
import type { Outcome } from "../delivery/retry-policy";
import type { Env } from "../env";
import { newId } from "../lib/ids";
import { retryTransient } from "../lib/transient";
import type { AttemptWrite } from "../storage/contract";
import { dayOf } from "../storage/partitions";
import { deliveryLog } from "../storage/stubs";

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
  // Logged by logCall, not record: nothing reads this.
  stored: false,
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

/**
 * Logs the call in today's partition of the webhook: an ended delivery and its one attempt,
 * written together. A webhook deleted meanwhile may get a partition its head drops with the rest.
 */
export async function logCall(env: Env, t: Target, call: Call, outcome: Logged, opts: { test: boolean; startedAt: number }) {
  const day = dayOf(opts.startedAt);
  const scope = { organisationId: t.organisation_id, webhookId: t.id, day };
  const attempt: AttemptWrite = {
    id: newId("att", opts.startedAt),
    delivery_id: call.deliveryId,
    attempt: 1,
    status: outcome.ok ? "success" : "failed",
    response_code: outcome.statusCode,
    response_time_ms: outcome.responseTimeMs,
    error_code: outcome.errorCode,
    error: outcome.error,
    created_at: opts.startedAt,
    next_attempt_at: null,
    revision_id: t.revision_id,
    signed_headers: outcome.signedHeaders ?? null,
    response_content_type: outcome.response?.contentType ?? null,
    response_body: outcome.response?.body ?? null,
  };
  const delivery = { id: call.deliveryId, event_id: call.eventId, event: call.event, revision_id: t.revision_id, test: opts.test, created_at: opts.startedAt };
  await retryTransient(() => deliveryLog(env, t.organisation_id, t.id, day).logCall(scope, delivery, attempt));
}

/**
 * "Testing a Webhook": send a sample event now, through the same signing and sending code as
 * real deliveries (attemptDelivery), marked "test": true. Works whatever the webhook's status,
 * so a webhook can be tested before it goes live. Logged as a test attempt; never queued or
 * retried, and not counted in the statistics or the failure streak.
 */
import { Hono } from "hono";
import { z } from "zod";
import { isEventName } from "../catalogue";
import { asDeliveryRow, loadTarget, logCall, newCall, type Target } from "../checks/one-off";
import { attemptDelivery, RevisionCache } from "../delivery/attempt";
import type { Outcome } from "../delivery/retry-policy";
import { Signer } from "../delivery/sign";
import { fieldError, notFound } from "../errors";
import { jsonBody, type AppEnv } from "../middleware";
import { CHECK_EVENT, CHECK_SAMPLE_INPUT, EVENT_SAMPLES } from "../samples";
import { validate } from "../validate";

export const testEventRoutes = new Hono<AppEnv>();

const TestEventIn = z.strictObject({ event: z.string({ error: "must be an event name" }).optional() });

export const TEST_RESULTS = ["success", "failed", "tls_error", "timeout", "connection_error"] as const;
export type TestResult = (typeof TEST_RESULTS)[number];

/** The product document's test results: success, failed (HTTP status), TLS, timeout; plus no connection. */
export function testResult(o: Outcome): TestResult {
  if (o.ok) return "success";
  if (o.errorCode === "tls") return "tls_error";
  if (o.errorCode === "timeout") return "timeout";
  if (o.errorCode === "connection") return "connection_error";
  return "failed";
}

/** Event webhooks take any catalogue event; check webhooks are sent a sample check. */
function chooseEvent(t: Target, event: string | undefined): string {
  if (t.type === "verification_check") {
    if (event !== undefined && event !== CHECK_EVENT) throw fieldError("event", `must be ${CHECK_EVENT} (or left out) for a verification_check webhook`);
    return CHECK_EVENT;
  }
  if (event === undefined) throw fieldError("event", "is required: name the event to send a sample of, e.g. verification.completed");
  if (!isEventName(event)) throw fieldError("event", "must be an event of the catalogue (GET /v1/event-types)");
  return event;
}

testEventRoutes.post("/:id/test", jsonBody(), validate("json", TestEventIn), async (c) => {
  const organisationId = c.get("organisationId");
  const t = await loadTarget(c.env, organisationId, c.req.param("id"));
  if (!t) throw notFound("Webhook");
  const startedAt = Date.now();
  const event = chooseEvent(t, c.req.valid("json").event);
  const ids = newCall(event, startedAt);
  const data = event === CHECK_EVENT ? CHECK_SAMPLE_INPUT : EVENT_SAMPLES[event as keyof typeof EVENT_SAMPLES];
  // The same envelope as real deliveries, serialised once: these bytes are signed and sent.
  const body = JSON.stringify({ event, event_id: ids.eventId, timestamp: new Date(startedAt).toISOString(), organisation_id: organisationId, data, test: true });
  const call = { ...ids, body };

  const outcome = await attemptDelivery(c.env, new Signer(), new RevisionCache(c.env.SECRET_ENCRYPTION_KEY), asDeliveryRow(t, call), null, startedAt);
  await logCall(c.env, t, call, outcome, { test: true, startedAt });
  return c.json({
    result: testResult(outcome),
    status_code: outcome.statusCode,
    response_time_ms: outcome.responseTimeMs,
    error: outcome.error,
    event,
    event_id: call.eventId,
    delivery_id: call.deliveryId,
  });
});

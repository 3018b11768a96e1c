import { Hono } from "hono";
import { findEvent } from "../db/deliveries";
import { acceptEvent, EventNotRecorded } from "../delivery/accept-event";
import { ApiError, notFound } from "../errors";
import { Timing } from "../lib/server-timing";
import { jsonBody, requireIngest, requireOrganisation, type AppEnv } from "../middleware";
import { presentEvent } from "../schemas/present-delivery";
import { EventIn, MAX_EVENT_BYTES } from "../schemas/event";
import { validate } from "../validate";

/**
 * Ingest, for internal systems (INGEST_TOKEN): 202 once the event, with its delivery ids, is in
 * its shard (and a paused webhook's skips are logged); the queue send follows the answer.
 * Lookup, for the organisation whose event it is (its API key): the event and where it went.
 */
export const eventRoutes = new Hono<AppEnv>();

eventRoutes.post("/", requireIngest, jsonBody(MAX_EVENT_BYTES), validate("json", EventIn), async (c) => {
  let accepted;
  const timing = new Timing();
  try {
    accepted = await acceptEvent(c.env, c.req.valid("json"), timing, waitUntilOf(c));
  } catch (err) {
    if (!(err instanceof EventNotRecorded)) throw err;
    // Either way the answer names the event id the write used: a retry with it is idempotent,
    // so it can never record the event twice, whether or not the first write committed.
    console.error(JSON.stringify({ level: "error", msg: "ingest could not record the event", requestId: c.get("requestId"), outcome: err.outcome, error: String(err.cause) }));
    c.header("Retry-After", "1");
    const event_id = err.eventId;
    if (err.outcome === "unknown") {
      throw new ApiError("OUTCOME_UNKNOWN", `It is not known whether event ${event_id} was recorded (the database did not answer). Retry with "event_id": "${event_id}"; it will not be recorded twice`, undefined, { event_id });
    }
    throw new ApiError("UNAVAILABLE", `The event could not be recorded; nothing was accepted. Retry with "event_id": "${event_id}"`, undefined, { event_id });
  }
  c.header("Server-Timing", timing.header());
  return c.json({ event_id: accepted.event_id, deliveries: accepted.deliveries, skipped: accepted.skipped }, 202);
});

/** The request's waitUntil; none when the app is called without an execution context (then ingest sends before answering). */
function waitUntilOf(c: { executionCtx: { waitUntil(p: Promise<unknown>): void } }): ((p: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx;
    return (p) => ctx.waitUntil(p);
  } catch {
    return undefined;
  }
}

eventRoutes.get("/:event_id", requireOrganisation, async (c) => {
  const event = await findEvent(c.env, c.get("organisationId"), c.req.param("event_id"));
  if (!event) throw notFound("Event");
  return c.json(presentEvent(event));
});

import { Hono } from "hono";
import { acceptEvent } from "../delivery/accept-event";
import { ApiError } from "../errors";
import { Timing } from "../lib/server-timing";
import { jsonBody, requireIngest, type AppEnv } from "../middleware";
import { EventIn, MAX_EVENT_BYTES } from "../schemas/event";
import { validate } from "../validate";

/** Ingest, for internal systems (INGEST_TOKEN). 202 once the event and its deliveries are in D1. */
export const eventRoutes = new Hono<AppEnv>();

eventRoutes.post("/", requireIngest, jsonBody(MAX_EVENT_BYTES), validate("json", EventIn), async (c) => {
  let accepted;
  const timing = new Timing();
  try {
    accepted = await acceptEvent(c.env, c.req.valid("json"), timing, (p) => c.executionCtx.waitUntil(p));
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // The event could not be recorded (D1 failed): nothing was accepted, and the caller should
    // send it again; with an event_id, a retry can never deliver it twice.
    console.error(JSON.stringify({ level: "error", msg: "ingest could not record the event", requestId: c.get("requestId"), error: String(err) }));
    c.header("Retry-After", "1");
    throw new ApiError("UNAVAILABLE", "The event could not be recorded; nothing was accepted. Retry the same request (with its event_id)");
  }
  c.header("Server-Timing", timing.header());
  return c.json({ event_id: accepted.event_id, deliveries: accepted.deliveries, skipped: accepted.skipped }, 202);
});

import { Hono } from "hono";
import { acceptEvent } from "../delivery/accept-event";
import { jsonBody, requireIngest, type AppEnv } from "../middleware";
import { EventIn, MAX_EVENT_BYTES } from "../schemas/event";
import { validate } from "../validate";

/** Ingest, for internal systems (INGEST_TOKEN). 202 once the event and its deliveries are in D1. */
export const eventRoutes = new Hono<AppEnv>();

eventRoutes.post("/", requireIngest, jsonBody(MAX_EVENT_BYTES), validate("json", EventIn), async (c) => {
  const accepted = await acceptEvent(c.env, c.req.valid("json"));
  return c.json({ event_id: accepted.event_id, deliveries: accepted.deliveries, skipped: accepted.skipped }, 202);
});

import { Hono } from "hono";
import { runCheck } from "../checks/run-check";
import { jsonBody, requireIngest, type AppEnv } from "../middleware";
import { CheckIn } from "../schemas/check";
import { MAX_EVENT_BYTES } from "../schemas/event";
import { validate } from "../validate";

/** Verification checks, for internal systems (INGEST_TOKEN): the customer's endpoint is called now. */
export const checkRoutes = new Hono<AppEnv>();

checkRoutes.post("/", requireIngest, jsonBody(MAX_EVENT_BYTES), validate("json", CheckIn), async (c) => c.json(await runCheck(c.env, c.req.valid("json"))));

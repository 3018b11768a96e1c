import { Hono } from "hono";
import { EVENT_TYPES } from "../catalogue";
import type { AppEnv } from "../middleware";

export const eventTypeRoutes = new Hono<AppEnv>();

eventTypeRoutes.get("/", (c) => c.json({ data: EVENT_TYPES }));

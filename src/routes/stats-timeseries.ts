/**
 * GET /v1/webhooks/{id}/stats/timeseries: deliveries and median response time per minute, hour
 * or day, for the dashboard's chart. Read-only; mounted under /v1/webhooks (organisation auth).
 */
import { Hono } from "hono";
import { notFound } from "../errors";
import type { AppEnv } from "../middleware";
import { TimeseriesQuery, type TimeseriesOut } from "../schemas/timeseries";
import { readTimeseries } from "../stats/read-timeseries";
import { bucketRange, fillBuckets } from "../stats/timeseries";
import { validate } from "../validate";

export const statsTimeseriesRoutes = new Hono<AppEnv>();

statsTimeseriesRoutes.get("/:id/stats/timeseries", validate("query", TimeseriesQuery), async (c) => {
  const q = c.req.valid("query");
  const range = bucketRange(q.bucket, q.from, q.to ?? Date.now());
  const rows = await readTimeseries(c.env, c.get("organisationId"), c.req.param("id"), range);
  if (!rows) throw notFound("Webhook");
  return c.json({ data: fillBuckets(range, rows) } satisfies TimeseriesOut);
});

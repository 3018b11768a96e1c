import { Hono } from "hono";
import { decodeCursor, encodeCursor, readLogPage } from "../db/attempts";
import { findExport, findUnfinishedExport, insertExport } from "../db/exports";
import { ApiError, notFound } from "../errors";
import { presentExport } from "../exports/present";
import { newId } from "../lib/ids";
import { exportRetentionMs } from "../maintenance/retention";
import { jsonBody, type AppEnv } from "../middleware";
import { ExportIn, LogQuery, presentAttempt, type ExportFilters } from "../schemas/logs";
import { readStats } from "../stats/read-stats";
import { validate } from "../validate";

/** A webhook's delivery log, its statistics and CSV exports of the log (mounted under /v1/webhooks). */
export const logRoutes = new Hono<AppEnv>();

logRoutes.get("/:id/logs", validate("query", LogQuery), async (c) => {
  const { limit, cursor, ...filter } = c.req.valid("query");
  const after = cursor ? decodeCursor(cursor) : null;
  const page = await readLogPage(c.env, c.get("organisationId"), c.req.param("id"), filter, after, limit);
  if (!page) throw notFound("Webhook");
  return c.json({ data: page.rows.map(presentAttempt), next_cursor: page.next ? encodeCursor(page.next) : null });
});

logRoutes.get("/:id/stats", async (c) => {
  const stats = await readStats(c.env, c.get("organisationId"), c.req.param("id"));
  if (!stats) throw notFound("Webhook");
  return c.json(stats);
});

/**
 * The filters may come in the query string, the JSON body, or both (the body wins). One export
 * per webhook runs at a time: while one is unfinished another is refused with 409 and the
 * unfinished one's id, not answered with it, since it may have been asked with other filters.
 */
logRoutes.post("/:id/logs/export", jsonBody(), validate("query", ExportIn), validate("json", ExportIn), async (c) => {
  const organisationId = c.get("organisationId");
  const input = { ...c.req.valid("query"), ...c.req.valid("json") };
  const now = Date.now();
  // The export is of the log as it is now: rows logged while it runs are not in it.
  const filters: ExportFilters = { ...input, to: Math.min(input.to ?? now, now) };
  const id = newId("exp", now);
  const inserted = await insertExport(c.env.DB, {
    id,
    organisationId,
    webhookId: c.req.param("id"),
    filters,
    createdAt: now,
    expiresAt: now + exportRetentionMs(c.env),
  });
  if (!inserted) {
    const unfinished = await findUnfinishedExport(c.env.DB, organisationId, c.req.param("id"), now);
    if (!unfinished) throw notFound("Webhook");
    c.header("Location", `/v1/exports/${unfinished}`);
    throw new ApiError("CONFLICT", `An export of this webhook is unfinished: wait until GET /v1/exports/${unfinished} says done or failed`, undefined, {
      export_id: unfinished,
    });
  }
  await c.env.EXPORT_QUEUE.send({ kind: "export", export_id: id });
  const created = await findExport(c.env.DB, organisationId, id, now);
  c.header("Location", `/v1/exports/${id}`);
  return c.json(presentExport(created!, new URL(c.req.url).origin), 202);
});

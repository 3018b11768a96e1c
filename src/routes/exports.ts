import { Hono } from "hono";
import { findExport } from "../db/exports";
import { ApiError, notFound } from "../errors";
import { exportFileName, presentExport } from "../exports/present";
import type { AppEnv } from "../middleware";

/** CSV exports of delivery logs: their status, and the file once it is written. */
export const exportRoutes = new Hono<AppEnv>();

exportRoutes.get("/:id", async (c) => {
  const e = await findExport(c.env.DB, c.get("organisationId"), c.req.param("id"), Date.now());
  if (!e) throw notFound("Export");
  return c.json(presentExport(e, new URL(c.req.url).origin));
});

/** Streams the object from R2 as it is read: the file never sits in the Worker's memory. */
exportRoutes.get("/:id/download", async (c) => {
  const e = await findExport(c.env.DB, c.get("organisationId"), c.req.param("id"), Date.now());
  if (!e) throw notFound("Export");
  if (e.status !== "done") throw new ApiError("INVALID_STATE", `The export is ${e.status}; download it once GET /v1/exports/${e.id} says done`);
  const object = await c.env.EXPORTS.get(e.object_key!);
  if (!object) throw notFound("Export");
  return new Response(object.body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${exportFileName(e.webhook_name, e.created_at)}"`,
      "Content-Length": String(object.size),
      ETag: object.httpEtag,
    },
  });
});

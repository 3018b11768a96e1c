/**
 * What an organisation's traffic has cost in storage rows (operator token, mounted under
 * /v1/organisations): the sum of the meters
 * of its event shards and of its webhooks' partitions, each counting its own statements' rows
 * since the object started (so since the last eviction: a figure for a run, not a ledger).
 * `npm run bench` reads it before and after a run to price a delivery; an operator can read it
 * to see which organisation writes most.
 */
import { Hono } from "hono";
import { healthStub } from "../durable/health-client";
import { notFound } from "../errors";
import { requireAdmin, type AppEnv } from "../middleware";
import type { StorageMeterOut } from "../schemas/organisation";
import type { Meter } from "../storage/contract";
import { EVENT_SHARDS } from "../storage/partitions";

export const storageMeterRoutes = new Hono<AppEnv>();

const add = (a: Meter, b: Meter): Meter => ({ rowsWritten: a.rowsWritten + b.rowsWritten, rowsRead: a.rowsRead + b.rowsRead });
const ZERO: Meter = { rowsWritten: 0, rowsRead: 0 };

storageMeterRoutes.get("/:id/storage-meter", requireAdmin, async (c) => {
  const org = Number(c.req.param("id"));
  if (!Number.isSafeInteger(org) || org <= 0) throw notFound("Organisation");
  const env = c.env;
  const found = await env.DB.prepare("SELECT 1 AS found FROM organisations WHERE id = ?").bind(org).first();
  if (!found) throw notFound("Organisation");
  const shards = await Promise.all(
    Array.from({ length: EVENT_SHARDS }, (_, n) => env.EVENT_SHARD.get(env.EVENT_SHARD.idFromName(`${org}:${n}`)).meter()),
  );
  const { results: hooks } = await env.DB.prepare("SELECT id FROM webhooks WHERE organisation_id = ?").bind(org).all<{ id: string }>();
  const partitions = (
    await Promise.all(
      hooks.map(async ({ id }) => {
        const days = await healthStub(env, org, id).partitions();
        return Promise.all(days.map((day) => env.DELIVERY_LOG.get(env.DELIVERY_LOG.idFromName(`${org}:${id}:${day}`)).meter()));
      }),
    )
  ).flat();
  const eventShards = shards.reduce(add, ZERO);
  const deliveryLogs = partitions.reduce(add, ZERO);
  return c.json<StorageMeterOut>({
    event_shards: { objects: shards.length, rows_written: eventShards.rowsWritten, rows_read: eventShards.rowsRead },
    partitions: { objects: partitions.length, rows_written: deliveryLogs.rowsWritten, rows_read: deliveryLogs.rowsRead },
    rows_written: eventShards.rowsWritten + deliveryLogs.rowsWritten,
    rows_read: eventShards.rowsRead + deliveryLogs.rowsRead,
  });
});

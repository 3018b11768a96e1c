/**
 * The price of a delivery in the storage objects (issue 15): rows written are the bill ($1 per
 * million, every index entry a row), and bytes stored are what retention keeps for a month.
 * Measured, not reasoned: the objects' meter() adds up their SQL cursors' rowsWritten, and their
 * SQLite's databaseSize is read from inside them. One subscriber, a 620-byte event body, a
 * receiver answering "ok"; every event id is chosen to land in one shard, so two objects hold
 * all of it (the shard and the webhook's partition for the day) and their page-sized growth is
 * spread over many events.
 *
 * The head (WebhookHealth) keeps kv, which no cursor meters; its connection's total_changes()
 * counts its writes instead. They follow time, not deliveries: a partition tells it of activity
 * at most once per 2 s (src/durable/delivery-log/notify.ts), and each word costs the head about
 * four writes (the refresh armed and its alarm, then both cleared by the refresh), so they are
 * bounded by the phase's length and left out of the exact count.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Meter } from "../src/storage/contract";
import { dayOf, shardOf } from "../src/storage/partitions";
import { deliveryLog, eventShard } from "../src/storage/stubs";
import { healthStub } from "../src/durable/health-client";
import { activate, createOrganisation, createWebhook, ingest, waitFor } from "./helpers/api";
import { deliveryState } from "./helpers/db";
import { bucket, received, receiverUrl } from "./helpers/receivers";

/**
 * Rows written per delivery when each is alone in its record() call: the event (1), the
 * delivery, inserted with its first attempt already made and kept in its row (1: no row of
 * attempts, src/durable/delivery-log/first-attempt.ts), the day's totals (1) and the minute's
 * rollup (1). Batches share the last two. Ingest writes nothing to the partition: the
 * delivery's row is written once, not inserted then moved.
 */
const ROWS_PER_DELIVERY = 4;
/** Batched, the totals and rollup rows are shared: the event and the delivery, and a little. */
const BATCHED_ROWS_PER_DELIVERY = 2.2;
const BODY_BYTES = 620;
const MAX_BYTES_PER_DELIVERY = 1200;
const TIMESTAMP = "2026-01-28T10:00:00.000Z";

/** Event ids that all land in the shard of the first one. */
function idsInOneShard(prefix: string, n: number): string[] {
  const shard = shardOf(`${prefix}_0`);
  const out: string[] = [];
  for (let k = 0; out.length < n; k++) if (shardOf(`${prefix}_${k}`) === shard) out.push(`${prefix}_${k}`);
  return out;
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * `n` characters that look like ids, tokens and hashes (base64url, each of its 64 characters as
 * likely as the others), the same for the same seed. Real payloads are mostly such values; a
 * run of one repeated character would let the shard's compression (deflate) shrink the body
 * to almost nothing and the measure would flatter it. These still deflate to about 6 bits per
 * character, as random base64 does, so the bytes measured are what a payload of ids costs.
 */
function idLike(seed: string, n: number): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  let out = "";
  for (let i = 0; i < n; i++) {
    // xorshift32: deterministic, so a run measures the same bodies as the one before.
    h ^= h << 13, h >>>= 0, h ^= h >>> 17, h ^= h << 5, h >>>= 0;
    out += BASE64URL[h & 63];
  }
  return out;
}

/** An event whose body, as stored and sent, is exactly BODY_BYTES long, padded with id-like characters (idLike). */
function eventOf(organisationId: number, eventId: string) {
  const base = { event: "workflow.created", event_id: eventId, timestamp: TIMESTAMP, organisation_id: organisationId, data: { pad: "" } };
  const pad = BODY_BYTES - JSON.stringify(base).length;
  if (pad < 0) throw new Error("the body is over 620 bytes without padding");
  const body = { ...base, data: { pad: idLike(eventId, pad) } };
  expect(JSON.stringify(body)).toHaveLength(BODY_BYTES);
  return body;
}

/** Per table, the average bytes of its rows' values and the largest columns (for the report). */
function payloads(state: DurableObjectState, tables: string[]) {
  const out: Record<string, { bytes: number; columns: Record<string, number> }> = {};
  for (const t of tables) {
    const cols = state.storage.sql.exec<{ name: string }>(`PRAGMA table_info("${t}")`).toArray().map((c) => c.name);
    const row = state.storage.sql.exec(`SELECT ${cols.map((c) => `avg(length(CAST("${c}" AS BLOB))) AS "${c}"`).join(", ")} FROM "${t}"`).one() as Record<string, number | null>;
    const columns = Object.fromEntries(cols.map((c) => [c, Math.round(row[c] ?? 0)]).filter(([, n]) => (n as number) >= 16));
    out[t] = { bytes: Math.round(cols.reduce((sum, c) => sum + (row[c] ?? 0), 0)), columns };
  }
  return out;
}

const add = (a: Meter, b: Meter): Meter => ({ rowsWritten: a.rowsWritten + b.rowsWritten, rowsRead: a.rowsRead + b.rowsRead });
const less = (a: Meter, b: Meter): Meter => ({ rowsWritten: a.rowsWritten - b.rowsWritten, rowsRead: a.rowsRead - b.rowsRead });

describe("the price of a delivery", () => {
  it(`writes ${ROWS_PER_DELIVERY} rows per delivery and stores under ${MAX_BYTES_PER_DELIVERY} bytes per event, delivery and attempt`, { timeout: 120_000 }, async () => {
    const org = await createOrganisation();
    const b = bucket("price");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b, "ok"), events: ["workflow.created"] });
    await activate(org.api_key, wh.id);
    const day = dayOf(Date.now());
    const ids = idsInOneShard(`evt_price_${org.id}`, 1 + 20 + 500);
    const shard = eventShard(env, org.id, ids[0]!);
    const log = deliveryLog(env, org.id, wh.id, day);
    const scope = { organisationId: org.id, webhookId: wh.id, day };
    let sent = 0;
    /** Ingests the events and waits until each delivery has been logged (its record committed). */
    const deliver = async (eventIds: string[]) => {
      const answers = await Promise.all(eventIds.map((id) => ingest(eventOf(org.id, id))));
      for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(202);
      sent += eventIds.length;
      await waitFor(async () => ((await received(b)).length >= sent ? true : undefined), 60_000);
      const deliveries = await Promise.all(eventIds.map(async (id) => (await shard.get(org.id, id))!.fanout[0]!.delivery_id));
      await waitFor(async () => ((await log.load(scope, deliveries)).every((d) => d.status === "success") ? true : undefined), 30_000);
    };
    const meters = async () => add(await shard.meter(), await log.meter());
    // The head has no meter (kv, which no cursor counts): SQLite's own count of the rows its
    // connection changed (kv entries and the alarm included) stands in for it.
    const head = healthStub(env, org.id, wh.id);
    const headChanges = () => runInDurableObject(head, (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT total_changes() AS n").one().n);
    const sizes = async () => ({
      shard: await runInDurableObject(shard, (_o, state) => state.storage.sql.databaseSize),
      log: await runInDurableObject(log, (_o, state) => state.storage.sql.databaseSize),
    });

    // The first event creates the shard's day table and the partition (schema, registration):
    // once a day, not per delivery.
    await deliver(ids.slice(0, 1));
    expect((await deliveryState(wh.id, (await shard.get(org.id, ids[0]!))!.fanout[0]!.delivery_id))?.status).toBe("success");

    // One at a time: each delivery alone in its record() call.
    const shardBefore = await shard.meter();
    const before = await meters();
    const headBefore = await headChanges();
    const single = ids.slice(1, 21);
    for (const id of single) await deliver([id]);
    const alone = less(await meters(), before);
    const headAlone = (await headChanges()) - headBefore;
    const perDelivery = alone.rowsWritten / single.length;
    const inShard = less(await shard.meter(), shardBefore).rowsWritten / single.length;

    // Many at once: batches share the totals and rollup rows; and the bytes they take.
    const sizeBefore = await sizes();
    const batchedBefore = await meters();
    const headBatchedBefore = await headChanges();
    const batchStarted = Date.now();
    const many = ids.slice(21);
    for (let i = 0; i < many.length; i += 50) await deliver(many.slice(i, i + 50));
    const batched = less(await meters(), batchedBefore);
    const headBatched = (await headChanges()) - headBatchedBefore;
    const batchMs = Date.now() - batchStarted;
    const sizeAfter = await sizes();
    const bytes = (sizeAfter.shard - sizeBefore.shard + sizeAfter.log - sizeBefore.log) / many.length;

    console.log(JSON.stringify({
      rowsWrittenPerDelivery: perDelivery,
      rowsReadPerDelivery: alone.rowsRead / single.length,
      batchedRowsWrittenPerDelivery: batched.rowsWritten / many.length,
      batchedRowsReadPerDelivery: batched.rowsRead / many.length,
      headRowsWrittenPerDelivery: headAlone / single.length,
      batchedHeadRowsWrittenPerDelivery: headBatched / many.length,
      bytesPerEventDeliveryAttempt: Math.round(bytes),
      bytesInShard: Math.round((sizeAfter.shard - sizeBefore.shard) / many.length),
      bytesInPartition: Math.round((sizeAfter.log - sizeBefore.log) / many.length),
      rowsWrittenPerDeliveryInShard: inShard,
      rowsWrittenPerDeliveryInPartition: perDelivery - inShard,
      // Where the bytes are: each table's average row, its values' bytes as stored.
      rowPayload: {
        ...(await runInDurableObject(shard, (_o, state) => payloads(state, [`events_${dayOf(Date.now())}`]))),
        ...(await runInDurableObject(log, (_o, state) => payloads(state, ["deliveries", "attempts"]))),
      },
    }));
    expect(perDelivery).toBe(ROWS_PER_DELIVERY);
    expect(inShard).toBe(1);
    expect(batched.rowsWritten / many.length).toBeLessThanOrEqual(BATCHED_ROWS_PER_DELIVERY);
    expect(headBatched).toBeLessThanOrEqual(4 * (Math.ceil(batchMs / 2_000) + 1));
    expect(bytes).toBeLessThan(MAX_BYTES_PER_DELIVERY);
  });
});

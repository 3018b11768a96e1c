import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { acceptEvent } from "../src/delivery/accept-event";
import type { DeliveryLog } from "../src/durable/delivery-log/object";
import { staleAfter } from "../src/durable/delivery-log/sweep";
import { sweepShard } from "../src/durable/event-shard/sweep";
import { MeteredSql } from "../src/durable/metered-sql";
import type { EventShard } from "../src/durable/event-shard/object";
import { dayOfDelivery, shardOf, timeOfId } from "../src/storage/partitions";
import { deliveryLog, eventShard } from "../src/storage/stubs";
import { activate, call, createOrganisation, createWebhook, waitFor } from "./helpers/api";
import { deliveriesOf } from "./helpers/db";
import { bucket, received, receiverUrl } from "./helpers/receivers";

/** The environment with a queue whose sends always fail (the queue is down, or lost). */
const brokenQueue = {
  ...env,
  DELIVERY_QUEUE: {
    send: async () => {
      throw new Error("queue unavailable");
    },
    sendBatch: async () => {
      throw new Error("queue unavailable");
    },
  } as unknown as typeof env.DELIVERY_QUEUE,
};

/** An organisation with an active webhook for workflow.created, delivering to a receiver bucket of `name` (answering `behaviour`). */
async function activeWebhook(name: string, behaviour = "ok") {
  const org = await createOrganisation();
  const b = bucket(name);
  const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b, behaviour), events: ["workflow.created"] });
  await activate(org.api_key, wh.id);
  return { org, b, wh };
}

/** The shard's sweep with a chosen environment and time, as its alarm runs it. */
const sweepWith = (shard: ReturnType<typeof eventShard>, e: typeof env, organisationId: number, now: number) =>
  runInDurableObject(shard, (_o, state) => sweepShard(new MeteredSql(state.storage.sql), state.storage.kv, e, organisationId, now));

describe("the sweep (the shard's alarm, then the partition's)", () => {
  it("re-enqueues deliveries that never reached the queue, once they are overdue, even when the queue loses them twice", async () => {
    const { org, b, wh } = await activeWebhook("sweep");

    // The event is recorded although the queue send failed: the caller may be told 202. Its
    // delivery is in the event's shard only: nothing is written to a partition before an attempt.
    const accepted = await acceptEvent(brokenQueue, { organisation_id: org.id, event: "workflow.created", data: { n: 1 } });
    expect(accepted.deliveries).toBe(1);
    const shard = eventShard(env, org.id, accepted.event_id);
    const [f] = (await shard.get(org.id, accepted.event_id))!.fanout;
    expect(f!.status).toBe("pending");
    expect(await deliveriesOf(wh.id)).toEqual([]);
    const created = timeOfId(f!.delivery_id);

    // The shard armed its alarm for when the delivery can be overdue, no later.
    const alarm = await runInDurableObject(shard, (_o, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeGreaterThan(Date.now());
    expect(alarm!).toBeLessThanOrEqual(created + staleAfter(env));

    // Not yet overdue: the sweep leaves it (it may still be on its way through the queue).
    expect((await sweepWith(shard, env, org.id, Date.now())).handedOver).toEqual([]);
    expect(await deliveriesOf(wh.id)).toEqual([]);

    // Overdue, and the queue loses it again: the shard hands it to its partition, due now.
    const overdue = created + staleAfter(env) + 1_000;
    const report = await sweepWith(shard, brokenQueue, org.id, overdue);
    expect(report.handedOver).toEqual([f!.delivery_id]);
    expect(report.unsent).toBe(1);
    const [d] = await deliveriesOf(wh.id);
    expect(d).toMatchObject({ id: f!.delivery_id, status: "pending", attempts: 0 });
    // Handed over once: a later run of the shard finds nothing new.
    expect((await sweepWith(shard, env, org.id, overdue + 1_000)).handedOver).toEqual([]);
    await new Promise((r) => setTimeout(r, 500));
    expect(await received(b)).toEqual([]);

    // The partition owns it now: its alarm is armed, and once it is overdue there its sweep sends it.
    const log = deliveryLog(env, org.id, wh.id, dayOfDelivery(d!.id));
    expect(await runInDurableObject(log, (_o, state) => state.storage.getAlarm())).not.toBeNull();
    // (Its due time is the shard's run, `overdue`: it is overdue in the partition a STALE later.)
    expect((await runInDurableObject(log, (instance: DeliveryLog) => instance.sweep(overdue + staleAfter(env) - 1_000)))!.requeued).toEqual([]);
    const requeued = await runInDurableObject(log, (instance: DeliveryLog) => instance.sweep(overdue + staleAfter(env) + 1_000));
    expect(requeued!.requeued.map((r) => r.delivery_id)).toEqual([d!.id]);
    const [got] = await waitFor(async () => {
      const r = await received(b);
      return r.length ? r : undefined;
    });
    expect(got!.headers["x-delivery-id"]).toBe(d!.id);
    await waitFor(async () => ((await deliveriesOf(wh.id))[0]!.status === "success" ? true : undefined));
    expect((await deliveriesOf(wh.id))[0]!.attempts).toBe(1);
    // Nothing pending: the next run finds nothing to send.
    expect((await runInDurableObject(log, (instance: DeliveryLog) => instance.sweep(overdue + 2 * staleAfter(env))))!.requeued).toEqual([]);
  });

  it("sends an overdue delivery straight from the shard when the queue takes it, once", async () => {
    const { org, b, wh } = await activeWebhook("sweep-once");
    const accepted = await acceptEvent(brokenQueue, { organisation_id: org.id, event: "workflow.created", data: { n: 2 } });
    const shard = eventShard(env, org.id, accepted.event_id);
    const [f] = (await shard.get(org.id, accepted.event_id))!.fanout;

    const report = await sweepWith(shard, env, org.id, timeOfId(f!.delivery_id) + staleAfter(env) + 1_000);
    expect(report).toMatchObject({ handedOver: [f!.delivery_id], unsent: 0 });
    await waitFor(async () => ((await deliveriesOf(wh.id))[0]?.status === "success" ? true : undefined));
    expect(await received(b)).toHaveLength(1);
    expect((await deliveriesOf(wh.id))[0]!.attempts).toBe(1);
  });

  it("leaves a delivery alone once it was attempted, and hands over none of a deleted webhook", async () => {
    const { org, b, wh } = await activeWebhook("sweep-none");
    const gone = await createWebhook(org.api_key, { url: receiverUrl("http", b), events: ["workflow.created"] });
    await activate(org.api_key, gone.id);
    // Delivered as usual: its partition has it once its attempt is logged.
    const accepted = await acceptEvent(env, { organisation_id: org.id, event: "workflow.created", data: { n: 3 } });
    await waitFor(async () => ((await deliveriesOf(wh.id))[0]?.status === "success" && (await deliveriesOf(gone.id))[0]?.status === "success" ? true : undefined));
    // A second event's deliveries are lost, then one of its webhooks is deleted.
    const lost = await acceptEvent(brokenQueue, { organisation_id: org.id, event: "workflow.created", data: { n: 4 } });
    expect(await call("DELETE", `/v1/webhooks/${gone.id}`, { token: org.api_key })).toMatchObject({ status: 204 });

    const shard = eventShard(env, org.id, accepted.event_id);
    const other = eventShard(env, org.id, lost.event_id);
    const overdue = Date.now() + staleAfter(env) + 1_000;
    expect((await sweepWith(shard, env, org.id, overdue)).handedOver).toEqual([]);
    const lostOnes = (await other.get(org.id, lost.event_id))!.fanout;
    const kept = lostOnes.find((x) => x.webhook_id === wh.id)!.delivery_id;
    expect((await sweepWith(other, env, org.id, overdue)).handedOver).toEqual([kept]);
    await waitFor(async () => ((await deliveriesOf(wh.id)).find((x) => x.id === kept)?.status === "success" ? true : undefined));
    expect(await deliveriesOf(gone.id, org.id)).toEqual([]);
  });

  it("arms the partition's sweep when a first attempt fails and its delivery is written waiting for a retry", async () => {
    const { org, wh } = await activeWebhook("sweep-retry", "status/500");
    await acceptEvent(env, { organisation_id: org.id, event: "workflow.created", data: { n: 5 } });
    // Written by its first attempt's record, not by ingest: that record is what must arm the alarm.
    const [d] = await waitFor(async () => {
      const ds = await deliveriesOf(wh.id);
      return ds[0]?.attempts === 1 ? ds : undefined;
    });
    expect(d!.status).toBe("pending");
    const log = deliveryLog(env, org.id, wh.id, dayOfDelivery(d!.id));
    expect(await runInDurableObject(log, (_o, state) => state.storage.getAlarm())).not.toBeNull();
  });
});

describe("a delivery not attempted yet", () => {
  it("is shown pending, with no attempt, from its event's shard: in its detail, the event lookup, and a resend's 409", async () => {
    const { org, b, wh } = await activeWebhook("unattempted");
    const other = await createWebhook(org.api_key, { url: receiverUrl("http", b), events: ["workflow.created"] });
    // Its message is lost: no partition holds it.
    const accepted = await acceptEvent(brokenQueue, { organisation_id: org.id, event: "workflow.created", data: { n: 6 } });
    const stored = (await eventShard(env, org.id, accepted.event_id).get(org.id, accepted.event_id))!;
    const [f] = stored.fanout;
    expect(await deliveriesOf(wh.id)).toEqual([]);

    const detail = await call("GET", `/v1/webhooks/${wh.id}/deliveries/${f!.delivery_id}`, { token: org.api_key });
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: f!.delivery_id, event_id: accepted.event_id, event: "workflow.created", status: "pending", attempts: 0, body: stored.body, log: [] });
    const lookup = await call("GET", `/v1/events/${accepted.event_id}`, { token: org.api_key });
    expect(lookup.body.deliveries).toEqual([{ id: f!.delivery_id, webhook_id: wh.id, status: "pending", attempts: 0 }]);
    const resend = await call("POST", `/v1/webhooks/${wh.id}/deliveries/${f!.delivery_id}/resend`, { token: org.api_key });
    expect(resend.status).toBe(409);
    // Another webhook's path, or an id whose shard characters were changed, finds nothing; nothing was written.
    expect((await call("GET", `/v1/webhooks/${other.id}/deliveries/${f!.delivery_id}`, { token: org.api_key })).status).toBe(404);
    const elsewhere = `${f!.delivery_id.slice(0, 14)}zz${f!.delivery_id.slice(16)}`;
    expect((await call("GET", `/v1/webhooks/${wh.id}/deliveries/${elsewhere}`, { token: org.api_key })).status).toBe(404);
    expect(await deliveriesOf(wh.id)).toEqual([]);
  });
});

describe("the shard's sweep in a running object", () => {
  it("reads the events it stored by their key, not their day in full", async () => {
    const { org, b, wh } = await activeWebhook("sweep-memory");
    const shardNo = shardOf("evt_mem_0");
    const ids: string[] = [];
    for (let k = 0; ids.length < 203; k++) if (shardOf(`evt_mem_${k}`) === shardNo) ids.push(`evt_mem_${k}`);
    const shard = eventShard(env, org.id, ids[0]!);
    // 200 events no webhook takes: rows of the day, nothing to hand over.
    for (const id of ids.slice(0, 200)) await acceptEvent(brokenQueue, { organisation_id: org.id, event: "verification.started", event_id: id, data: {} });
    // A first run takes the window up to now (read in full: it starts before the object did).
    await runInDurableObject(shard, (instance: EventShard) => instance.sweep(Date.now() + staleAfter(env)));
    await new Promise((r) => setTimeout(r, 5));
    const lost = ids.slice(200);
    for (const id of lost) await acceptEvent(brokenQueue, { organisation_id: org.id, event: "workflow.created", event_id: id, data: {} });

    const before = await shard.meter();
    const report = await runInDurableObject(shard, (instance: EventShard) => instance.sweep(Date.now() + staleAfter(env) + 1_000));
    const read = (await shard.meter()).rowsRead - before.rowsRead;
    expect(report!.handedOver).toHaveLength(3);
    // Three events read by key (and the schema's pages), not the day's 203 rows.
    expect(read).toBeLessThan(50);
    await waitFor(async () => ((await deliveriesOf(wh.id)).filter((d) => d.status === "success").length === 3 ? true : undefined));
  });
});

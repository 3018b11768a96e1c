import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { acceptEvent } from "../src/delivery/accept-event";
import type { DeliveryLog } from "../src/durable/delivery-log/object";
import { staleAfter } from "../src/durable/delivery-log/sweep";
import { dayOfDelivery } from "../src/storage/partitions";
import { deliveryLog } from "../src/storage/stubs";
import { activate, createOrganisation, createWebhook, waitFor } from "./helpers/api";
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

describe("the sweep (the partition's alarm)", () => {
  it("re-enqueues deliveries that never reached the queue, once they are overdue", async () => {
    const org = await createOrganisation();
    const b = bucket("sweep");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b), events: ["workflow.created"] });
    await activate(org.api_key, wh.id);

    // The event is recorded although the queue send failed: the caller may be told 202.
    const accepted = await acceptEvent(brokenQueue, { organisation_id: org.id, event: "workflow.created", data: { n: 1 } });
    expect(accepted.deliveries).toBe(1);
    const [d] = await deliveriesOf(wh.id);
    expect(d!.status).toBe("pending");
    const log = deliveryLog(env, org.id, wh.id, dayOfDelivery(d!.id));

    // The partition armed its alarm for when the delivery can be overdue.
    const alarm = await runInDurableObject(log, (_o, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeGreaterThan(Date.now());

    // Not yet overdue: the sweep leaves it (it may still be on its way through the queue).
    expect(await runDurableObjectAlarm(log)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(await received(b)).toEqual([]);
    expect((await deliveriesOf(wh.id))[0]!.status).toBe("pending");

    // Overdue (as after a restart that lost the local queue): the sweep sends it again.
    const report = await runInDurableObject(log, (instance: DeliveryLog) => instance.sweep(Date.now() + staleAfter(env) + 1_000));
    expect(report!.requeued.map((r) => r.delivery_id)).toEqual([d!.id]);
    const [got] = await waitFor(async () => {
      const r = await received(b);
      return r.length ? r : undefined;
    });
    expect(got!.headers["x-delivery-id"]).toBe(d!.id);
    await waitFor(async () => ((await deliveriesOf(wh.id))[0]!.status === "success" ? true : undefined));
    // Nothing pending: the next run finds nothing to send.
    expect((await runInDurableObject(log, (instance: DeliveryLog) => instance.sweep(Date.now() + staleAfter(env) + 1_000)))!.requeued).toEqual([]);
  });
});

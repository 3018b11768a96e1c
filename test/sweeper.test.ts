import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { acceptEvent } from "../src/delivery/accept-event";
import { STALE_AFTER_MS } from "../src/delivery/sweep";
import worker from "../src/index";
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

async function runCron() {
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env);
}

describe("the sweeper (cron trigger)", () => {
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

    // Not yet overdue: the sweeper leaves it (it may still be on its way through the queue).
    await runCron();
    await new Promise((r) => setTimeout(r, 500));
    expect(await received(b)).toEqual([]);

    // Overdue (as after a restart that lost the local queue): the sweeper sends it again.
    await env.DB.prepare("UPDATE deliveries SET next_attempt_at = ? WHERE id = ?").bind(Date.now() - STALE_AFTER_MS - 1000, d!.id).run();
    await runCron();
    const [got] = await waitFor(async () => {
      const r = await received(b);
      return r.length ? r : undefined;
    });
    expect(got!.headers["x-delivery-id"]).toBe(d!.id);
    await waitFor(async () => ((await deliveriesOf(wh.id))[0]!.status === "success" ? true : undefined));
  });
});

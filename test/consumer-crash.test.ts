import { afterEach, describe, expect, it } from "vitest";
import { armFaults, disarmFaults } from "../src/delivery/faults";
import { activate, createOrganisation, createWebhook, ingest, waitFor } from "./helpers/api";
import { attemptsOf, deliveriesOf, totalsOf } from "./helpers/db";
import { bucket, received, receiverUrl } from "./helpers/receivers";

afterEach(() => void disarmFaults());

describe("a consumer that crashes mid-batch", () => {
  it("loses none of 2,000 deliveries; duplicates carry the same delivery id and identical bytes", async () => {
    const org = await createOrganisation();
    const b = bucket("crash");
    const webhooks: string[] = [];
    // Ten webhooks on one receiver bucket: 200 events make 2,000 deliveries.
    for (let i = 0; i < 10; i++) {
      const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b, `ok/${i}`), events: ["workflow.created"] });
      await activate(org.api_key, wh.id);
      webhooks.push(wh.id as string);
    }

    // Per message before the send; per batch after it, after the log and before the ack.
    armFaults({ "before-send": 0.004, "after-send": 0.08, "after-record": 0.08, "before-ack": 0.08 });
    const events = 200;
    for (let i = 0; i < events; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) => ingest({ event: "workflow.created", organisation_id: org.id, data: { n: i + j } }).then((r) => expect(r.status).toBe(202))),
      );
    }
    const all = async () => (await Promise.all(webhooks.map((id) => deliveriesOf(id)))).flat();
    const rows = await waitFor(async () => {
      const d = await all();
      return d.length === events * webhooks.length && d.every((x) => x.status !== "pending") ? d : undefined;
    }, 120_000, 500);
    const fired = disarmFaults();
    expect(fired, "the faults must actually have fired").toBeGreaterThan(5);

    const reqs = await received(b);
    const byId = new Map<string, Set<string>>();
    for (const r of reqs) {
      const id = r.headers["x-delivery-id"]!;
      byId.set(id, (byId.get(id) ?? new Set()).add(r.body));
    }
    for (const d of rows) {
      // Every delivery ended: received, or failed for good after an internal error (logged).
      if (d.status === "success") expect(byId.has(d.id)).toBe(true);
      else expect(d.status).toBe("failed");
    }
    for (const bodies of byId.values()) expect(bodies.size).toBe(1);
    // Logged and counted once per attempt, however often it was sent.
    const attempts = (await Promise.all(webhooks.map((id) => attemptsOf(id, org.id)))).flat();
    const successes = rows.filter((d) => d.status === "success").length;
    expect(attempts.filter((a) => a.status === "success")).toHaveLength(successes);
    const perAttempt = new Map<string, number>();
    for (const a of attempts) perAttempt.set(`${a.delivery_id}:${a.attempt}`, (perAttempt.get(`${a.delivery_id}:${a.attempt}`) ?? 0) + 1);
    expect([...perAttempt.entries()].filter(([, n]) => n > 1)).toEqual([]);
    const counted = await Promise.all(webhooks.map((id) => totalsOf(id, org.id)));
    expect(counted.reduce((sum, t) => sum + t.successful, 0)).toBe(successes);
    console.log(`crash test: ${fired} faults fired, ${reqs.length} requests for ${rows.length} deliveries, ${rows.filter((d) => d.status !== "success").length} ended failed`);
    // As long as its wait for the 2,000: five sends at a time per invocation (connection-gate.ts).
  }, 150_000);
});

describe("a consumer that crashes on every try", () => {
  it("ends the delivery as failed (internal) from the dead-letter queue, logged and announced", async () => {
    const org = await createOrganisation();
    const b = bucket("dlq");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b), events: ["workflow.created", "webhook.delivery.failed"] });
    await activate(org.api_key, wh.id);
    armFaults({ "before-send": 1 });
    await ingest({ event: "workflow.created", organisation_id: org.id, data: { n: 1 } });
    const rows = await waitFor(async () => {
      const d = await deliveriesOf(wh.id);
      return d.length === 2 && d.every((x) => x.status === "failed") ? d : undefined;
    }, 30_000, 250);
    disarmFaults();
    expect(rows.map((d) => d.event)).toEqual(["workflow.created", "webhook.delivery.failed"]);
    const log = (await attemptsOf(wh.id)).map(({ event, status, error_code }) => ({ event, status, error_code }));
    expect(log).toEqual([
      { event: "workflow.created", status: "failed", error_code: "internal" },
      { event: "webhook.delivery.failed", status: "failed", error_code: "internal" },
    ]);
    expect(await received(b)).toEqual([]);
  });
});

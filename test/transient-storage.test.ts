/**
 * D1 and Durable Objects have documented transient errors. A blip is retried in place with no
 * second send; a longer outage hands the batch back to the queue later; and when the queue gives
 * up, the endpoint is not blamed for our storage.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { armFaults, disarmFaults } from "../src/delivery/faults";
import { healthStub } from "../src/durable/health-client";
import { isTransient, redeliveryDelaySeconds } from "../src/lib/transient";
import { activate, createOrganisation, createWebhook, ingest, waitFor } from "./helpers/api";
import { attemptsOf, deliveriesOf } from "./helpers/db";
import { bucket, received, receiverUrl } from "./helpers/receivers";

afterEach(() => void disarmFaults());

async function setup(label: string) {
  const org = await createOrganisation();
  const b = bucket(label);
  const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b), events: ["workflow.created"] });
  await activate(org.api_key, wh.id);
  return { org, b, wh: wh.id as string };
}

const ended = (webhookId: string, n: number, ms = 30_000) =>
  waitFor(async () => {
    const d = await deliveriesOf(webhookId);
    return d.length === n && d.every((x) => x.status !== "pending") ? d : undefined;
  }, ms, 200);

describe("transient storage errors", () => {
  it("knows D1's retryable errors and a Durable Object's, and not an overloaded one", () => {
    expect(isTransient(new Error("D1_ERROR: Network connection lost."))).toBe(true);
    expect(isTransient(new Error("D1 DB is overloaded. Too many requests queued."))).toBe(true);
    expect(isTransient(new Error("D1 DB reset because its code was updated."))).toBe(true);
    expect(isTransient(Object.assign(new Error("reset"), { retryable: true }))).toBe(true);
    expect(isTransient(Object.assign(new Error("busy"), { retryable: true, overloaded: true }))).toBe(false);
    expect(isTransient(new Error("SQLITE_CONSTRAINT: UNIQUE constraint failed"))).toBe(false);
    // Redeliveries wait 5, 10, 20, 40, 80 s: five of them outlast minutes of trouble, not seconds.
    expect([1, 2, 3, 4, 5, 6].map((n) => redeliveryDelaySeconds(n))).toEqual([5, 10, 20, 40, 80, 160]);
    expect(redeliveryDelaySeconds(20)).toBe(300);
  });

  it("retries a blip in place: each delivery sent once, logged once, none failed", async () => {
    const { org, b, wh } = await setup("blip");
    // Three D1 calls in a row fail, then D1 is back: within the four tries of one call.
    armFaults({ storage: 1 }, 3);
    await Promise.all(Array.from({ length: 30 }, (_, n) => ingest({ event: "workflow.created", organisation_id: org.id, data: { n } })));
    const rows = await ended(wh, 30);
    const fired = disarmFaults();
    expect(fired, "the faults must have fired").toBe(3);
    expect(rows.every((d) => d.status === "success")).toBe(true);
    const reqs = await received(b);
    expect(reqs).toHaveLength(30);
    expect(new Set(reqs.map((r) => r.headers["x-delivery-id"])).size).toBe(30);
    expect((await attemptsOf(wh)).map((a) => a.attempt)).toEqual(Array.from({ length: 30 }, () => 1));
  });

  it("outlasts an outage longer than the retries in place: delivered once, nothing failed, nobody blamed", async () => {
    const { org, b, wh } = await setup("outage");
    armFaults({ storage: 1 });
    await ingest({ event: "workflow.created", organisation_id: org.id, data: { n: 1 } });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(disarmFaults(), "the outage must have been met").toBeGreaterThan(3);
    const [d] = await ended(wh, 1);
    expect(d!.status).toBe("success");
    expect(await received(b)).toHaveLength(1);
    expect(await healthStub(env, org.id, wh).streak()).toBe(0);
  });

  it("ends a delivery the queue gave up on as internal, announced, and not counted against the endpoint", async () => {
    const { org, b, wh } = await setup("gave-up");
    const watcher = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("watch")), events: ["webhook.delivery.failed"] });
    await activate(org.api_key, watcher.id);
    armFaults({ "before-send": 1 });
    await ingest({ event: "workflow.created", organisation_id: org.id, data: { n: 1 } });
    const [d] = await ended(wh, 1);
    disarmFaults();
    expect(d!.status).toBe("failed");
    expect((await attemptsOf(wh)).map((a) => a.error_code)).toEqual(["internal"]);
    expect(await received(b)).toEqual([]);
    // Announced to the organisation's watcher...
    const [announcement] = await ended(watcher.id as string, 1);
    expect(announcement!.event).toBe("webhook.delivery.failed");
    // ...but our own trouble is not the endpoint's failure.
    expect(await healthStub(env, org.id, wh).streak()).toBe(0);
  });
});

/**
 * Ingest when storage fails part way. Whatever fails, the answer names the event id the write
 * used, and a retry with it records the event once, with one delivery per webhook, delivered once:
 * - the fan-out cannot be read (its object, or the D1 read behind it, fails): nothing was recorded (503);
 * - the shard does not answer: it may or may not have stored the event (504, outcome unknown);
 * - the shard stored the event and a paused webhook's partition failed to log the skip: 504 too,
 *   and the retry finishes the fan-out the first request began.
 * A pending delivery is written to no partition before its first attempt, so only skips can fail
 * there; a delivery whose message the first request never sent is enqueued by the retry.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { eventShard } from "../src/storage/stubs";
import { activate, createOrganisation, createWebhook, expectStatus, INGEST_TOKEN, sampleCompleted, waitFor } from "./helpers/api";
import { deliveriesOf } from "./helpers/db";
import { bucket, received, receiverUrl } from "./helpers/receivers";
import { failingNamespace } from "./helpers/failing-namespace";

/** POST /v1/events to the app itself, with an environment of the test's making. */
async function postEvent(testEnv: typeof env, body: Record<string, unknown>) {
  const ctx = createExecutionContext();
  const res = await app.request("/v1/events", {
    method: "POST",
    headers: { Authorization: `Bearer ${INGEST_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  }, testEnv, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, retryAfter: res.headers.get("Retry-After"), body: (await res.json()) as Record<string, any> };
}

async function setup(name: string) {
  const org = await createOrganisation();
  const b = bucket(name);
  const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b) });
  await activate(org.api_key, wh.id);
  return { org, wh, b, event: { event: "verification.completed", organisation_id: org.id, data: sampleCompleted } };
}

/** The retry is accepted, the event stored once, one delivery made and delivered once. */
async function expectRecordedOnce(s: Awaited<ReturnType<typeof setup>>, eventId: string) {
  const retried = await postEvent(env, { ...s.event, event_id: eventId });
  expect(retried).toMatchObject({ status: 202, body: { event_id: eventId, deliveries: 1 } });
  expect(await postEvent(env, { ...s.event, event_id: eventId })).toMatchObject({ status: 202, body: { deliveries: 1 } });
  const stored = await eventShard(env, s.org.id, eventId).get(s.org.id, eventId);
  expect(stored?.fanout).toHaveLength(1);
  await waitFor(async () => (await received(s.b)).length >= 1 || undefined);
  await waitFor(async () => (await deliveriesOf(s.wh.id))[0]?.status === "success" || undefined);
  await new Promise((r) => setTimeout(r, 500));
  expect(await deliveriesOf(s.wh.id)).toMatchObject([{ id: stored!.fanout[0]!.delivery_id, status: "success", attempts: 1 }]);
  expect((await received(s.b)).map((r) => JSON.parse(r.body).event_id)).toEqual([eventId]);
}

describe("ingest that cannot record an event", () => {
  it("answers 503 with the event id it assigned when the fan-out cannot be read; a retry records it once", async () => {
    const s = await setup("d1-down");
    const failing = failingNamespace(env.ORGANISATION_FANOUT, "subscribers", "D1_ERROR: database unavailable", "before");
    const refused = await postEvent({ ...env, FANOUT_CACHE_MS: "0", ORGANISATION_FANOUT: failing }, s.event);
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe("1");
    expect(refused.body.error).toMatchObject({ code: "UNAVAILABLE", message: expect.stringMatching(/nothing was accepted/) });
    expect(refused.body.event_id).toMatch(/^evt_/);
    expect(await eventShard(env, s.org.id, refused.body.event_id).get(s.org.id, refused.body.event_id)).toBeNull();
    await expectRecordedOnce(s, refused.body.event_id);
  });

  it("answers 504 when the shard stored the event but did not say so; a retry records it once", async () => {
    const s = await setup("shard-silent");
    const broken = { ...env, EVENT_SHARD: failingNamespace(env.EVENT_SHARD, "accept", "Durable Object reset because its code was updated.", "after") };
    const unknown = await postEvent(broken, s.event);
    expect(unknown.status).toBe(504);
    expect(unknown.body.error).toMatchObject({ code: "OUTCOME_UNKNOWN" });
    const eventId = unknown.body.event_id as string;
    // It was stored: the answer was lost on the way back.
    expect(await eventShard(env, s.org.id, eventId).get(s.org.id, eventId)).not.toBeNull();
    expect(await deliveriesOf(s.wh.id)).toHaveLength(0);
    await expectRecordedOnce(s, eventId);
  });

  it("answers 504 when a paused webhook's partition fails to log the skip after the shard stored the event; the retry logs it once", async () => {
    const s = await setup("partition-down");
    await expectStatus(200, "POST", `/v1/webhooks/${s.wh.id}/pause`, { token: s.org.api_key });
    const broken = { ...env, DELIVERY_LOG: failingNamespace(env.DELIVERY_LOG, "accept", "Network connection lost.", "before") };
    const unknown = await postEvent(broken, s.event);
    expect(unknown.status).toBe(504);
    const eventId = unknown.body.event_id as string;
    expect(await deliveriesOf(s.wh.id)).toHaveLength(0);

    for (let i = 0; i < 2; i++) expect(await postEvent(env, { ...s.event, event_id: eventId })).toMatchObject({ status: 202, body: { deliveries: 1, skipped: 1 } });
    const stored = await eventShard(env, s.org.id, eventId).get(s.org.id, eventId);
    expect(await deliveriesOf(s.wh.id)).toMatchObject([{ id: stored!.fanout[0]!.delivery_id, status: "skipped", attempts: 0 }]);
    await new Promise((r) => setTimeout(r, 500));
    expect(await received(s.b)).toEqual([]);
  });
});

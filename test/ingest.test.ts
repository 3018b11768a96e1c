import { describe, expect, it } from "vitest";
import { activate, call, createOrganisation, createWebhook, expectStatus, ingest, INGEST_TOKEN, sampleCompleted, waitFor } from "./helpers/api";
import { attemptsOf, deliveriesOf, eventsOf } from "./helpers/db";
import { bucket, received, receiverUrl } from "./helpers/receivers";

describe("ingest", () => {
  it("needs the ingest token", async () => {
    const org = await createOrganisation();
    const body = { event: "verification.completed", organisation_id: org.id, data: sampleCompleted };
    expect((await call("POST", "/v1/events", { body })).status).toBe(401);
    expect((await call("POST", "/v1/events", { body, token: org.api_key })).status).toBe(401);
    const ok = await call("POST", "/v1/events", { body, token: INGEST_TOKEN });
    expect(ok.status).toBe(202);
    // Where the time went, for load tests and browsers: the D1 read, the shard, the partitions
    // (and the queue send, when there is a delivery to enqueue: none here).
    expect(ok.headers.get("Server-Timing")).toMatch(/^fanout;dur=\d+(\.\d+)?, shard;dur=\d+(\.\d+)?, partitions;dur=\d+(\.\d+)?$/);
  });

  it("refuses unknown events, bad documented payloads, non-object data, unknown organisations and big bodies", async () => {
    const org = await createOrganisation();
    const cases: [unknown, number, string][] = [
      [{ event: "nope.event", organisation_id: org.id, data: {} }, 400, "event"],
      [{ event: "verification.completed", organisation_id: org.id, data: { status: "success" } }, 400, "data.verification_id"],
      [{ event: "verification.failed", organisation_id: org.id, data: { ...sampleCompleted, reason: 5 } }, 400, "data.reason"],
      [{ event: "units.low_balance", organisation_id: org.id, data: { current_balance: "850", threshold: 1000 } }, 400, "data.current_balance"],
      [{ event: "workflow.created", organisation_id: org.id, data: [1, 2] }, 400, "data"],
      [{ event: "workflow.created", organisation_id: org.id, data: "x" }, 400, "data"],
      [{ event: "workflow.created", organisation_id: "18", data: {} }, 400, "organisation_id"],
      [{ event: "workflow.created", organisation_id: org.id, data: {}, timestamp: "yesterday" }, 400, "timestamp"],
      [{ event: "workflow.created", organisation_id: org.id, data: {}, event_id: "has space" }, 400, "event_id"],
      [{ event: "workflow.created", organisation_id: org.id, data: {}, extra: 1 }, 400, "extra"],
    ];
    for (const [body, status, path] of cases) {
      const res = await call("POST", "/v1/events", { token: INGEST_TOKEN, body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.details.map((d: { path: string }) => d.path), JSON.stringify(res.body)).toContain(path);
    }
    const missing = await call("POST", "/v1/events", { token: INGEST_TOKEN, body: { event: "workflow.created", organisation_id: 999999, data: {} } });
    expect(missing.status).toBe(404);
    const big = await call("POST", "/v1/events", { token: INGEST_TOKEN, body: { event: "workflow.created", organisation_id: org.id, data: { blob: "x".repeat(300_000) } } });
    expect(big.status).toBe(413);
    const notJson = await call("POST", "/v1/events", { token: INGEST_TOKEN, raw: "event=x", headers: { "Content-Type": "text/plain" } });
    expect(notJson.status).toBe(415);
    expect(await eventsOf(org.id)).toEqual([]);
  });

  it("is idempotent on event_id, also under concurrent duplicates, and refuses a reused id with another body", async () => {
    const org = await createOrganisation();
    const b = bucket("idem");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b) });
    await activate(org.api_key, wh.id);
    const body = { event: "verification.completed", organisation_id: org.id, data: sampleCompleted, event_id: "evt_abc123" };
    const answers = await Promise.all(Array.from({ length: 10 }, () => ingest(body)));
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(202);
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    expect(answers[0]!.body).toEqual({ event_id: "evt_abc123", deliveries: 1, skipped: 0 });
    const again = await ingest(body);
    expect(again.body).toEqual(answers[0]!.body);

    const other = await ingest({ ...body, data: { ...sampleCompleted, confidence: 0.5 } });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe("CONFLICT");

    await waitFor(async () => ((await received(b)).length ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    expect(await received(b)).toHaveLength(1);
    expect(await deliveriesOf(wh.id)).toHaveLength(1);
    expect((await eventsOf(org.id)).map((e) => e.id)).toEqual(["evt_abc123"]);
  });

  it("fans out to active subscribers, logs a skip for paused ones and ignores inactive and unsubscribed ones", async () => {
    const org = await createOrganisation();
    const [ba, bp, bi, bu] = [bucket("act"), bucket("pau"), bucket("ina"), bucket("uns")];
    const active = await createWebhook(org.api_key, { url: receiverUrl("http", ba) });
    const paused = await createWebhook(org.api_key, { url: receiverUrl("http", bp) });
    const inactive = await createWebhook(org.api_key, { url: receiverUrl("http", bi) });
    const unsubscribed = await createWebhook(org.api_key, { url: receiverUrl("http", bu), events: ["units.low_balance"] });
    for (const w of [active, paused, unsubscribed]) await activate(org.api_key, w.id);
    await expectStatus(200, "POST", `/v1/webhooks/${paused.id}/pause`, { token: org.api_key });

    const res = await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted });
    expect(res.body).toMatchObject({ deliveries: 2, skipped: 1 });
    await waitFor(async () => ((await received(ba)).length ? true : undefined));
    expect((await attemptsOf(paused.id)).map((a) => [a.status, a.error_code])).toEqual([["skipped", "paused"]]);
    expect(await deliveriesOf(inactive.id)).toEqual([]);
    expect(await deliveriesOf(unsubscribed.id)).toEqual([]);

    // Resuming with replay_skipped delivers what was skipped, with the same delivery id.
    const resumed = await expectStatus(200, "POST", `/v1/webhooks/${paused.id}/resume`, { token: org.api_key, body: { replay_skipped: true } });
    expect(resumed).toMatchObject({ status: "active", replayed: 1 });
    const [got] = await waitFor(async () => {
      const r = await received(bp);
      return r.length ? r : undefined;
    });
    const [d] = await deliveriesOf(paused.id);
    expect(got!.headers["x-delivery-id"]).toBe(d!.id);
    await waitFor(async () => ((await deliveriesOf(paused.id))[0]!.status === "success" ? true : undefined));
    expect((await attemptsOf(paused.id)).map((a) => [a.attempt, a.status])).toEqual([[1, "skipped"], [1, "success"]]);
  });
});

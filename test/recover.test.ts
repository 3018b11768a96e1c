/**
 * Recover (POST /v1/webhooks/{id}/recover): after an outage, each delivery that ended failed or
 * skipped arrives exactly once more, counted by X-Delivery-ID at a real receiver; a second
 * recovery of the window sends nothing; a step that dies mid-way resumes without sending twice.
 * Steps here are 60 deliveries (RECOVERY_STEP_DELIVERIES in test/vitest.config.ts).
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { insertRecovery } from "../src/db/recoveries";
import { newId } from "../src/lib/ids";
import { RECOVERY_STALE_MS } from "../src/recoveries/policy";
import { runRecoveryStep } from "../src/recoveries/run-step";
import { sweepStaleRecoveries } from "../src/recoveries/sweep";
import { deliveryLog } from "../src/storage/stubs";
import { activate, call, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { count, deliveriesOf, eventsOf, partitionsOf } from "./helpers/db";
import { bucket, received, receiverUrl } from "./helpers/receivers";

const iso = (ms: number) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ingests `n` events, a few at a time. */
async function ingestMany(organisationId: number, n: number) {
  for (let i = 0; i < n; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, n - i) }, (_, j) =>
        ingest({ event: "verification.completed", organisation_id: organisationId, data: { ...sampleCompleted, verification_id: `ver_${i + j}` } }).then((r) =>
          expect(r.status, JSON.stringify(r.body)).toBe(202),
        ),
      ),
    );
  }
}

/** Waits until none of the webhook's deliveries is pending; answers them. */
const settled = (webhookId: string, ms = 40_000) =>
  waitFor(async () => {
    const ds = await deliveriesOf(webhookId);
    return ds.length > 0 && ds.every((d) => d.status !== "pending") ? ds : undefined;
  }, ms, 200);

/**
 * An outage of `n` deliveries: the endpoint answers 500 until every one has ended (failed, or
 * skipped once the webhook paused itself after ten failures). Then the endpoint is fixed (the
 * URL moves to a bucket that answers 200) and the webhook is active again, with nothing replayed.
 */
async function outage(n: number, fixed = "ok") {
  const org = await createOrganisation();
  const down = bucket("rcv-down");
  const up = bucket("rcv-up");
  const wh = await createWebhook(org.api_key, { url: receiverUrl("http", down, "status/500") });
  await activate(org.api_key, wh.id);
  const since = Date.now() - 1;
  await ingestMany(org.id, n);
  const ended = await settled(wh.id);
  expect(ended).toHaveLength(n);
  await expectStatus(200, "PATCH", `/v1/webhooks/${wh.id}`, { token: org.api_key, body: { url: receiverUrl("http", up, fixed) } });
  const now = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key });
  if (now.status === "paused") await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/resume`, { token: org.api_key, body: {} });
  return { org, wh, down, up, since, ids: ended.map((d) => d.id) };
}

const recoveryOf = (key: string, webhookId: string, id: string) => expectStatus(200, "GET", `/v1/webhooks/${webhookId}/recoveries/${id}`, { token: key });
const finished = (key: string, webhookId: string, id: string) =>
  waitFor(async () => {
    const r = await recoveryOf(key, webhookId, id);
    return r.status === "done" || r.status === "failed" ? r : undefined;
  }, 40_000, 200);

/** Every partition's sweep of the webhook, run as its alarm would at `now`; answers how many deliveries they enqueued. */
async function sweepPartitions(webhookId: string, now: number): Promise<number> {
  let requeued = 0;
  for (const scope of await partitionsOf(webhookId)) {
    const report = await runInDurableObject(deliveryLog(env, scope.organisationId, webhookId, scope.day), (log) => log.sweep(now));
    requeued += report?.requeued.length ?? 0;
  }
  return requeued;
}

/** Each delivery id and how many requests carried it. */
async function arrivals(b: string): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (const r of await received(b)) seen.set(r.headers["x-delivery-id"]!, (seen.get(r.headers["x-delivery-id"]!) ?? 0) + 1);
  return seen;
}

describe("recover after an outage", () => {
  it("re-sends each failed or skipped delivery exactly once, shows its progress, and a second recovery of the window sends nothing", async () => {
    const { org, wh, up, since, ids } = await outage(200);
    const statuses = new Set((await deliveriesOf(wh.id)).map((d) => d.status));
    expect([...statuses].sort()).toEqual(["failed", "skipped"]); // the webhook paused itself mid-outage

    const accepted = await call("POST", `/v1/webhooks/${wh.id}/recover`, { token: org.api_key, body: { since: iso(since) } });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    expect(accepted.body).toMatchObject({ status: "pending", total: 200, sent: 0, since: iso(since) });
    expect(accepted.headers.get("location")).toBe(`/v1/webhooks/${wh.id}/recoveries/${accepted.body.id}`);

    // Progress: sent grows step by step (60 a step here) up to the total.
    const seenSent = new Set<number>();
    const done = await waitFor(async () => {
      const r = await recoveryOf(org.api_key, wh.id, accepted.body.id);
      seenSent.add(r.sent);
      return r.status === "done" ? r : undefined;
    }, 40_000, 50);
    expect(done).toMatchObject({ status: "done", total: 200, sent: 200, error: null });
    expect(Math.max(...seenSent)).toBe(200);

    await settled(wh.id);
    await sleep(500);
    const first = await arrivals(up);
    expect([...first.keys()].sort()).toEqual([...ids].sort());
    expect([...first.values()].every((n) => n === 1)).toBe(true);
    expect((await deliveriesOf(wh.id)).every((d) => d.status === "success")).toBe(true);

    const again = await expectStatus(202, "POST", `/v1/webhooks/${wh.id}/recover`, { token: org.api_key, body: { since: iso(since) } });
    expect(again.id).not.toBe(accepted.body.id);
    expect(again.total).toBe(0);
    expect(await finished(org.api_key, wh.id, again.id)).toMatchObject({ status: "done", total: 0, sent: 0 });
    await sleep(500);
    expect((await received(up)).length).toBe(200);
  }, 120_000);

  it("recovers the skipped deliveries of a paused webhook", async () => {
    const org = await createOrganisation();
    const b = bucket("rcv-skip");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b) });
    await activate(org.api_key, wh.id);
    await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/pause`, { token: org.api_key });
    const since = Date.now() - 1;
    await ingestMany(org.id, 5);
    const skipped = await settled(wh.id);
    expect(skipped.map((d) => d.status)).toEqual(Array(5).fill("skipped"));

    // While paused the deliveries would only be skipped again: refused, nothing written.
    const refused = await call("POST", `/v1/webhooks/${wh.id}/recover`, { token: org.api_key, body: { since: iso(since) } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/resume/);
    expect(await count("recoveries", "webhook_id = ?", wh.id)).toBe(0);

    await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/resume`, { token: org.api_key, body: {} });
    const r = await expectStatus(202, "POST", `/v1/webhooks/${wh.id}/recover`, { token: org.api_key, body: { since: iso(since) } });
    expect(await finished(org.api_key, wh.id, r.id)).toMatchObject({ status: "done", total: 5, sent: 5 });
    await settled(wh.id);
    const seen = await arrivals(b);
    expect([...seen.keys()].sort()).toEqual(skipped.map((d) => d.id).sort());
    expect([...seen.values()]).toEqual(Array(5).fill(1));
  }, 60_000);
});

describe("a recovery that dies mid-way", () => {
  /** A recovery row as the route writes it, with no queue message: the test runs its steps. */
  async function quietRecovery(organisationId: number, webhookId: string, since: number) {
    const id = newId("rcv");
    expect(await insertRecovery(env, { id, organisationId, webhookId, since, until: Date.now(), createdAt: Date.now() })).toBe(true);
    return id;
  }
  const row = (id: string) => env.DB.prepare("SELECT status, sent, total, cursor_id, tries, lease_until FROM recoveries WHERE id = ?").bind(id).first<any>();

  it("keeps its checkpoint with the chunks it re-sent, and resumes (queue and sweeps) without sending anything twice", async () => {
    const { org, wh, up, since, ids } = await outage(120);
    const id = await quietRecovery(org.id, wh.id, since);
    const order = (await deliveriesOf(wh.id)).map((d) => d.id);
    const pending = async () => (await deliveriesOf(wh.id)).filter((d) => d.status === "pending").length;

    // One step of 200: chunks of 90 and 30. The isolate dies as the second chunk begins: the
    // first is re-sent and checkpointed, its messages never sent.
    const crash = runRecoveryStep(env, id, { beforeChunk: (n) => { if (n === 2) throw new Error("evicted"); } }, 200);
    await expect(crash).rejects.toThrow("evicted");
    expect(await row(id)).toMatchObject({ status: "running", sent: 90, total: 120, cursor_id: order[89], tries: 1 });
    expect(await pending()).toBe(90);
    expect(await received(up)).toHaveLength(0);

    // The next try dies between its one chunk (the other 30, re-sent in their partition) and
    // that chunk's checkpoint: the row still says 90, the partition has all 120 pending.
    const between = runRecoveryStep(env, id, { beforeCheckpoint: (n) => { if (n === 1) throw new Error("evicted"); } }, 200);
    await expect(between).rejects.toThrow("evicted");
    expect(await row(id)).toMatchObject({ status: "running", sent: 90, total: 120, cursor_id: order[89], tries: 2 });
    expect(await pending()).toBe(120);
    expect(await received(up)).toHaveLength(0);

    // The partition's sweep sends the stranded 120; the maintenance sweep re-enqueues the quiet
    // recovery, whose step finds the last 30 already re-sent by it: counted, not sent again.
    expect(await sweepPartitions(wh.id, Date.now() + 61_000)).toBe(120);
    expect(await sweepStaleRecoveries(env, Date.now() + RECOVERY_STALE_MS + 1)).toEqual({ requeued: 1, failed: 0 });
    expect(await finished(org.api_key, wh.id, id)).toMatchObject({ status: "done", total: 120, sent: 120 });
    await settled(wh.id);
    await sleep(500);
    const seen = await arrivals(up);
    expect([...seen.keys()].sort()).toEqual([...ids].sort());
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(await row(id)).toMatchObject({ tries: 0, lease_until: 0 });
  }, 120_000);

  it("reads a page again after losing its checkpoint, sends nothing it already re-sent, even what failed again, and counts it", async () => {
    // Four deliveries: with their one more failed attempt each, fewer than the ten failures that pause a webhook.
    const { org, wh, down, up, since, ids } = await outage(4, "status/500");
    const id = await quietRecovery(org.id, wh.id, since);
    await expect(runRecoveryStep(env, id, { resent: () => { throw new Error("evicted"); } })).rejects.toThrow("evicted");
    const again = await settled(wh.id);
    expect(again.map((d) => [d.status, d.attempts])).toEqual(Array(4).fill(["failed", 4]));

    // As if the checkpoint had been lost (cursor and count are one UPDATE): the page from the
    // start again. It reads the four, sends none, and counts them as sent by this recovery.
    await env.DB.prepare("UPDATE recoveries SET cursor_at = NULL, cursor_id = NULL, sent = 0, lease_until = 0 WHERE id = ?").bind(id).run();
    expect(await runRecoveryStep(env, id)).toMatchObject({ outcome: "done", read: 4, resent: 0 });
    expect(await row(id)).toMatchObject({ status: "done", sent: 4 });
    await sleep(500);
    expect((await deliveriesOf(wh.id)).map((d) => [d.status, d.attempts])).toEqual(Array(4).fill(["failed", 4]));
    expect(await received(down)).toHaveLength(12); // the outage: three attempts each
    const seen = await arrivals(up);
    expect([...seen.keys()].sort()).toEqual([...ids].sort());
    expect([...seen.values()]).toEqual(Array(4).fill(1));
    // Each end is announced (webhook.delivery.failed), the second ends too: 4 + 4.
    await waitFor(async () => (await eventsOf(org.id)).filter((e) => e.event === "webhook.delivery.failed").length === 8);
  }, 60_000);
});

describe("the route", () => {
  async function activeWebhook() {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("rcv-route")) });
    await activate(org.api_key, wh.id);
    return { org, wh };
  }

  it("refuses a window that is malformed, backwards, in the future or wider than 31 days, with a 400 naming the field, writing nothing", async () => {
    const { org, wh } = await activeWebhook();
    const now = Date.now();
    const hour = 3_600_000;
    const cases: [Record<string, unknown>, string][] = [
      [{}, "since"],
      [{ since: "yesterday" }, "since"],
      [{ since: "2026-02-30" }, "since"],
      [{ since: now - hour }, "since"],
      [{ since: iso(now + hour) }, "since"],
      [{ since: iso(now - hour), until: iso(now - 2 * hour) }, "until"],
      [{ since: iso(now - hour), until: iso(now - hour) }, "until"],
      [{ since: iso(now - 32 * 24 * hour) }, "since"],
      [{ since: iso(now - hour), limit: 5 }, "limit"],
    ];
    for (const [body, field] of cases) {
      const res = await call("POST", `/v1/webhooks/${wh.id}/recover`, { token: org.api_key, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path), JSON.stringify(body)).toEqual([field]);
    }
    expect(await count("recoveries", "webhook_id = ?", wh.id)).toBe(0);
  });

  it("answers a second request, for any window, with the recovery that is still unfinished", async () => {
    const { org, wh } = await activeWebhook();
    const since = Date.now() - 3_600_000;
    const running = newId("rcv");
    await insertRecovery(env, { id: running, organisationId: org.id, webhookId: wh.id, since, until: Date.now(), createdAt: Date.now() });
    const res = await call("POST", `/v1/webhooks/${wh.id}/recover`, { token: org.api_key, body: { since: iso(since + 60_000), until: iso(Date.now() + 3_600_000) } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: running, status: "pending", since: iso(since) });
    expect(res.headers.get("location")).toBe(`/v1/webhooks/${wh.id}/recoveries/${running}`);
    expect(await count("recoveries", "webhook_id = ?", wh.id)).toBe(1);
  });

  it("leaves test events alone, and refuses a verification check webhook (its checks are answered in their own request)", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("rcv-test"), "status/500") });
    await activate(org.api_key, wh.id);
    const since = Date.now() - 1;
    await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/test`, { token: org.api_key, body: { event: "verification.completed" } });
    expect((await deliveriesOf(wh.id)).map((d) => d.status)).toEqual(["failed"]);
    const r = await expectStatus(202, "POST", `/v1/webhooks/${wh.id}/recover`, { token: org.api_key, body: { since: iso(since) } });
    expect(await finished(org.api_key, wh.id, r.id)).toMatchObject({ status: "done", total: 0, sent: 0 });

    const check = await createWebhook(org.api_key, { type: "verification_check", events: undefined, url: receiverUrl("http", bucket("rcv-chk")) });
    await activate(org.api_key, check.id);
    const refused = await call("POST", `/v1/webhooks/${check.id}/recover`, { token: org.api_key, body: { since: iso(since) } });
    expect([refused.status, refused.body.error.code]).toEqual([409, "INVALID_STATE"]);
    expect(await count("recoveries", "webhook_id = ?", check.id)).toBe(0);
  });

  it("takes an until in the future as now, and answers 404 for a recovery or webhook that is not there", async () => {
    const { org, wh } = await activeWebhook();
    const before = Date.now();
    const r = await expectStatus(202, "POST", `/v1/webhooks/${wh.id}/recover`, { token: org.api_key, body: { since: iso(before - 86_400_000), until: "2099-01-01" } });
    expect(r).toMatchObject({ total: 0, sent: 0, since: iso(before - 86_400_000) });
    expect(Date.parse(r.until)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(r.until)).toBeLessThanOrEqual(Date.now());
    await expectStatus(404, "GET", `/v1/webhooks/${wh.id}/recoveries/${newId("rcv")}`, { token: org.api_key });
    await expectStatus(404, "POST", `/v1/webhooks/${newId("wh")}/recover`, { token: org.api_key, body: { since: iso(before - 3_600_000) } });
  });
});

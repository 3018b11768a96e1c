/**
 * Ingest's fan-out cache (src/db/fanout-cache.ts): the organisation's fan-out object is asked at
 * most once per FANOUT_CACHE_MS per organisation and event in an isolate. A change through the
 * API applies to the next event (the isolate that made it forgets); a change it cannot see
 * (another isolate's: D1 written and the organisation's object told, this isolate not) applies
 * within FANOUT_CACHE_MS, and meanwhile nothing is lost: the consumer reads the webhook again and
 * skips, and logs, what went to a webhook paused in between. The object itself:
 * test/organisation-fanout.test.ts.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { cachedSubscribers, fanoutCacheMs, MAX_ORGANISATIONS, type FanoutReader } from "../src/db/fanout-cache";
import { organisationFanout } from "../src/storage/stubs";
import { activate, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { allPages } from "./helpers/logs";
import { bucket, received, receiverUrl } from "./helpers/receivers";

const EVENT = "verification.completed";
/** What ingest's misses read: the organisation's object. */
const subscribers: FanoutReader = (e, organisationId, event) => organisationFanout(e, organisationId).subscribers(organisationId, event);
/** A change made in another isolate, through the API: D1 written and the organisation's object told; this isolate is not. */
const changedElsewhere = async (organisationId: number, sql: string, ...params: unknown[]) => {
  await env.DB.prepare(sql).bind(...params).run();
  await organisationFanout(env, organisationId).forget();
};
const send = async (organisationId: number) => {
  const res = await ingest({ event: EVENT, organisation_id: organisationId, data: sampleCompleted });
  expect(res.status).toBe(202);
  return res.body as { event_id: string; deliveries: number; skipped: number };
};

describe("ingest's fan-out cache", () => {
  it("is 1 s unless configured, and 0 turns it off", () => {
    expect(fanoutCacheMs({})).toBe(1_000);
    expect(fanoutCacheMs({ FANOUT_CACHE_MS: "0" })).toBe(0);
    expect(fanoutCacheMs({ FANOUT_CACHE_MS: "250" })).toBe(250);
    expect(fanoutCacheMs({ FANOUT_CACHE_MS: "soon" })).toBe(1_000);
  });

  it("forgets an organisation's fan-out on every change through the API: the next event follows it", async () => {
    const org = await createOrganisation();
    const first = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("fc-api")), events: [EVENT] });
    await activate(org.api_key, first.id);
    expect(await send(org.id)).toMatchObject({ deliveries: 1, skipped: 0 });

    await expectStatus(200, "POST", `/v1/webhooks/${first.id}/pause`, { token: org.api_key });
    expect(await send(org.id)).toMatchObject({ deliveries: 1, skipped: 1 });
    await expectStatus(200, "POST", `/v1/webhooks/${first.id}/resume`, { token: org.api_key, body: {} });
    expect(await send(org.id)).toMatchObject({ deliveries: 1, skipped: 0 });

    await expectStatus(200, "PATCH", `/v1/webhooks/${first.id}`, { token: org.api_key, body: { events: ["units.low_balance"] } });
    expect(await send(org.id)).toMatchObject({ deliveries: 0 });

    const second = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("fc-api2")), events: [EVENT] });
    expect(await send(org.id)).toMatchObject({ deliveries: 0 }); // inactive until activated
    await activate(org.api_key, second.id);
    expect(await send(org.id)).toMatchObject({ deliveries: 1 });

    await expectStatus(204, "DELETE", `/v1/webhooks/${second.id}`, { token: org.api_key });
    expect(await send(org.id)).toMatchObject({ deliveries: 0 });
  });

  it("asks the organisation's object once per FANOUT_CACHE_MS per organisation and event (once per request that misses at the same time)", async () => {
    const org = await createOrganisation();
    const hook = await createWebhook(org.api_key, { events: [EVENT] });
    await activate(org.api_key, hook.id);
    let reads = 0;
    const counted: FanoutReader = (...args) => (reads++, subscribers(...args));
    const t = Date.now();
    const ttl = fanoutCacheMs(env);

    // Misses at the same time each read: a read in flight is its request's own I/O.
    const together = await Promise.all(Array.from({ length: 5 }, () => cachedSubscribers(env, org.id, EVENT, counted, t)));
    expect(reads).toBe(5);
    expect(together.map((r) => r?.map((w) => [w.id, w.status]))).toEqual(Array(5).fill([[hook.id, "active"]]));
    // Then the answer is kept.
    await cachedSubscribers(env, org.id, EVENT, counted, t + 1);
    expect(reads).toBe(5);
    // Another event is another entry.
    await cachedSubscribers(env, org.id, "units.low_balance", counted, t);
    expect(reads).toBe(6);

    // Changed where this isolate does not see it: kept for half of FANOUT_CACHE_MS, then renewed
    // by the next request, whose read sees the change.
    await changedElsewhere(org.id, "UPDATE webhooks SET status = 'paused' WHERE id = ?", hook.id);
    expect((await cachedSubscribers(env, org.id, EVENT, counted, t + ttl / 2 - 1))?.[0]?.status).toBe("active");
    expect(reads).toBe(6);
    expect((await cachedSubscribers(env, org.id, EVENT, counted, t + ttl / 2))?.[0]?.status).toBe("paused");
    expect(reads).toBe(7);
    // Never used past FANOUT_CACHE_MS.
    await cachedSubscribers(env, org.id, EVENT, counted, t + ttl / 2 + ttl);
    expect(reads).toBe(8);
  });

  it("renews an entry past half its life with one request's read while the others use it; a failed renewal keeps it", async () => {
    const org = await createOrganisation();
    const hook = await createWebhook(org.api_key, { events: [EVENT] });
    await activate(org.api_key, hook.id);
    const t = Date.now();
    const half = fanoutCacheMs(env) / 2;
    await cachedSubscribers(env, org.id, EVENT, subscribers, t);

    let reads = 0;
    let release!: () => void;
    const held = new Promise<void>((ok) => (release = ok));
    const slow: FanoutReader = async (...args) => (reads++, await held, subscribers(...args));
    const counted: FanoutReader = (...args) => (reads++, subscribers(...args));
    const renewal = cachedSubscribers(env, org.id, EVENT, slow, t + half);
    await new Promise((r) => setTimeout(r, 20));
    const meanwhile = await Promise.all(Array.from({ length: 5 }, () => cachedSubscribers(env, org.id, EVENT, counted, t + half + 1)));
    expect(reads, "only the renewal read").toBe(1);
    expect(meanwhile.map((r) => r?.map((w) => w.id))).toEqual(Array(5).fill([hook.id]));
    release();
    expect((await renewal)?.map((w) => w.id)).toEqual([hook.id]);

    // Renewed at t + half: half of its life is left at t + 2 × half - 1; a renewal that fails
    // then answers the entry instead of failing the event.
    const failing: FanoutReader = async () => {
      throw new Error("a read that fails");
    };
    expect((await cachedSubscribers(env, org.id, EVENT, failing, t + 2 * half))?.map((w) => w.id)).toEqual([hook.id]);
  });

  it("does not keep the answer of a read that started before a change made in this isolate", async () => {
    const org = await createOrganisation();
    const hook = await createWebhook(org.api_key, { events: [EVENT] });
    await activate(org.api_key, hook.id);
    let release!: () => void;
    const held = new Promise<void>((ok) => (release = ok));
    // A read that answers as before the pause, and comes back only after it.
    const slow: FanoutReader = async (...args) => {
      const answer = await subscribers(...args);
      await held;
      return answer;
    };
    const t = Date.now();
    const before = cachedSubscribers(env, org.id, EVENT, slow, t);
    await new Promise((r) => setTimeout(r, 50));
    await expectStatus(200, "POST", `/v1/webhooks/${hook.id}/pause`, { token: org.api_key });
    release();
    expect((await before)?.[0]?.status).toBe("active");
    expect((await cachedSubscribers(env, org.id, EVENT, subscribers, t + 1))?.[0]?.status).toBe("paused");
  });

  it("past its bound, drops the least recently used organisation, not a busy one that came first", async () => {
    // Organisation ids no test creates; the read is counted, not D1's (its answer is never used).
    const base = 7_000_000;
    const busy = base;
    let reads = 0;
    const counted: FanoutReader = async () => (reads++, []);
    const t = Date.now();
    await cachedSubscribers(env, busy, EVENT, counted, t);
    for (let i = 1; i < MAX_ORGANISATIONS; i++) await cachedSubscribers(env, base + i, EVENT, counted, t);
    await cachedSubscribers(env, busy, EVENT, counted, t); // used again: now the most recent
    expect(reads).toBe(MAX_ORGANISATIONS);
    await cachedSubscribers(env, base + MAX_ORGANISATIONS, EVENT, counted, t); // one more: one must go
    await cachedSubscribers(env, busy, EVENT, counted, t);
    expect(reads, "the busy organisation was kept").toBe(MAX_ORGANISATIONS + 1);
    await cachedSubscribers(env, base + 1, EVENT, counted, t);
    expect(reads, "the least recently used one went").toBe(MAX_ORGANISATIONS + 2);
  });

  it("keeps neither a failed read nor an unknown organisation", async () => {
    const org = await createOrganisation();
    let reads = 0;
    const failing: FanoutReader = async () => {
      reads++;
      throw new Error("D1_ERROR: no such table");
    };
    const t = Date.now();
    await expect(cachedSubscribers(env, org.id, EVENT, failing, t)).rejects.toThrow("no such table");
    await expect(cachedSubscribers(env, org.id, EVENT, failing, t)).rejects.toThrow("no such table");
    expect(reads).toBe(2);

    const unknown = 2_000_000_000 + Math.floor(Math.random() * 100_000_000);
    const counted: FanoutReader = (...args) => (reads++, subscribers(...args));
    expect(await cachedSubscribers(env, unknown, EVENT, counted, t)).toBeNull();
    expect(await cachedSubscribers(env, unknown, EVENT, counted, t)).toBeNull();
    expect(reads).toBe(4);
  });

  it("loses nothing while an isolate still has the old fan-out: a delivery to a webhook paused meanwhile is skipped at send time, and logged", async () => {
    const org = await createOrganisation();
    const b = bucket("fc-stale");
    const hook = await createWebhook(org.api_key, { url: receiverUrl("http", b), events: [EVENT] });
    await activate(org.api_key, hook.id);
    // This isolate's entry, as if read just now and kept for another minute: as an ingest
    // isolate that has not seen the pause yet holds it.
    await cachedSubscribers(env, org.id, EVENT, subscribers, Date.now() + 60_000);
    // Paused by another isolate (the webhook's object, after its tenth failure): D1 written directly.
    await env.DB.prepare("UPDATE webhooks SET status = 'paused', paused_reason = 'elsewhere' WHERE id = ?").bind(hook.id).run();

    const accepted = await send(org.id);
    expect(accepted).toMatchObject({ deliveries: 1, skipped: 0 });
    const event = await waitFor(async () => {
      const e = await expectStatus(200, "GET", `/v1/events/${accepted.event_id}`, { token: org.api_key });
      return e.deliveries?.[0]?.status === "skipped" ? e : undefined;
    });
    expect(event.deliveries).toMatchObject([{ webhook_id: hook.id, status: "skipped" }]);
    const { rows } = await allPages(org.api_key, hook.id);
    expect(rows.map((r) => [r.delivery_id, r.status, r.error_code])).toEqual([[event.deliveries[0].id, "skipped", "paused"]]);
    expect(await received(b)).toEqual([]);
  });
});

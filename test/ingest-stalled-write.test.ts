import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { CommitNotSent, CommitOutcomeUnknown, GroupCommit } from "../src/lib/group-commit";
import { activate, createOrganisation, createWebhook, INGEST_TOKEN, sampleCompleted, waitFor } from "./helpers/api";
import { count } from "./helpers/db";
import { bucket, receiverUrl } from "./helpers/receivers";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The real local D1, whose n-th batch is held `stalls[n]` ms before it is sent (and then runs and
 * commits): a D1 that is slow to answer, as on the edge under load, up to its 30 s query limit.
 */
function stallingDb(stalls: number[], onBatch?: (n: number) => void): D1Database {
  let n = 0;
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          const mine = n++;
          onBatch?.(mine);
          await sleep(stalls[mine] ?? 0);
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("a group write that D1 answers late", () => {
  const table = `gcs_${Date.now().toString(36)}`;
  const put = (gc: GroupCommit, db: D1Database, v: string) => gc.run(db, [{ sql: `INSERT INTO ${table} (v) VALUES (?)`, params: [v] }], 1);

  it("keeps a request whose write was sent waiting past stallMs, and answers it with the write", async () => {
    await env.DB.prepare(`CREATE TABLE IF NOT EXISTS ${table} (v TEXT PRIMARY KEY)`).run();
    const gc = new GroupCommit({ maxEntries: 50, maxBytes: 1 << 20, stallMs: 300, settleMs: 3_000 });
    // a leads (its batch held 100 ms); b and c queue behind it and share the next batch, held 800 ms.
    const db = stallingDb([100, 800]);
    const runs = await Promise.allSettled([put(gc, db, "a"), put(gc, db, "b"), put(gc, db, "c")]);
    expect(runs.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    expect(await count(table, "1 = 1")).toBe(3);
  });

  it("past settleMs says the outcome is unknown (never 'not sent'), and the write commits once", async () => {
    await env.DB.prepare(`CREATE TABLE IF NOT EXISTS ${table} (v TEXT PRIMARY KEY)`).run();
    const gc = new GroupCommit({ maxEntries: 50, maxBytes: 1 << 20, stallMs: 300, settleMs: 600 });
    const db = stallingDb([100, 1_500]);
    const [a, b, c] = await Promise.allSettled([put(gc, db, "ua"), put(gc, db, "ub"), put(gc, db, "uc")]);
    expect(a.status).toBe("fulfilled");
    // One of b and c led the held batch and got its answer at 1.6 s; the other gave up at 0.7 s.
    const gaveUp = [b, c].filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason);
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]).toBeInstanceOf(CommitOutcomeUnknown);
    expect(gaveUp[0]).not.toBeInstanceOf(CommitNotSent);
    expect(await count(table, "v IN ('ua', 'ub', 'uc')")).toBe(3);
  });
});

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

describe("ingest that cannot record an event", () => {
  it("answers 503 with the event id it assigned; a retry with it records the event once", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("d1-down")) });
    await activate(org.api_key, wh.id);
    const failing = new Proxy(env.DB, {
      get: (target, prop) => (prop === "batch" ? async () => { throw new Error("D1_ERROR: database unavailable"); } : (Reflect.get(target, prop) as Function).bind(target)),
    });
    const event = { event: "verification.completed", organisation_id: org.id, data: sampleCompleted };
    const refused = await postEvent({ ...env, DB: failing }, event);
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe("1");
    expect(refused.body.error).toMatchObject({ code: "UNAVAILABLE", message: expect.stringMatching(/nothing was accepted/) });
    expect(refused.body.event_id).toMatch(/^evt_/);
    const retried = await postEvent(env, { ...event, event_id: refused.body.event_id });
    expect(retried).toMatchObject({ status: 202, body: { event_id: refused.body.event_id, deliveries: 1 } });
    expect(await postEvent(env, { ...event, event_id: refused.body.event_id })).toMatchObject({ status: 202 });
    expect(await count("events", "organisation_id = ?", org.id)).toBe(1);
    expect(await count("deliveries", "webhook_id = ?", wh.id)).toBe(1);
  });
});

describe("ingest while D1 holds a write between 10 s and 30 s", () => {
  it("answers every request 202 once its event committed: no false 'nothing was accepted', no duplicate on retry", { timeout: 40_000 }, async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("stalled-write")) });
    await activate(org.api_key, wh.id);
    // The first batch is held 300 ms (two more requests queue behind it); the second, which they
    // share, 12 s: longer than the 10 s a queued request waits, shorter than D1's 30 s.
    let batches = 0;
    const slowEnv = { ...env, DB: stallingDb([300, 12_000], (n) => (batches = n + 1)) };
    const post = (data: Record<string, unknown>) => postEvent(slowEnv, { event: "verification.completed", organisation_id: org.id, data });
    // A caller that sends no event_id and, told "nothing was accepted", sends the event again.
    const send = async (n: number) => {
      const first = await post({ ...sampleCompleted, verification_id: `ver_${n}` });
      if (first.status !== 503) return [first];
      return [first, await post({ ...sampleCompleted, verification_id: `ver_${n}` })];
    };
    const a = send(1);
    await waitFor(async () => batches >= 1 || undefined, 5_000, 5);
    const answers = (await Promise.all([a, send(2), send(3)])).flat();
    expect(answers.map((x) => x.status)).toEqual([202, 202, 202]);
    expect(await count("events", "organisation_id = ?", org.id)).toBe(3);
    expect(await count("deliveries", "webhook_id = ?", wh.id)).toBe(3);
  });
});

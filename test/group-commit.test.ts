import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { GroupCommit } from "../src/lib/group-commit";
import { activate, createOrganisation, createWebhook, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { count } from "./helpers/db";
import { bucket, received, receiverUrl } from "./helpers/receivers";

const groupOf = (serverTiming: string | null) => Number(/group;desc="(\d+)"/.exec(serverTiming ?? "")?.[1] ?? NaN);

describe("ingest shares D1 transactions between concurrent requests", () => {
  it("records 100 concurrent events, each answered for itself, in fewer transactions than requests", async () => {
    const org = await createOrganisation();
    const b = bucket("group");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b) });
    await activate(org.api_key, wh.id);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => ingest({ event: "verification.completed", organisation_id: org.id, data: { ...sampleCompleted, verification_id: `ver_${i}` }, event_id: `evt_group_${i}` })),
    );
    answers.forEach((a, i) => {
      expect(a.status, JSON.stringify(a.body)).toBe(202);
      expect(a.body).toEqual({ event_id: `evt_group_${i}`, deliveries: 1, skipped: 0 });
    });
    const groups = answers.map((a) => groupOf(a.headers.get("Server-Timing")));
    expect(groups.every((g) => g >= 1 && g <= 50)).toBe(true);
    expect(Math.max(...groups)).toBeGreaterThan(1);
    expect(await count("events", "organisation_id = ?", org.id)).toBe(100);
    expect(await count("deliveries", "webhook_id = ?", wh.id)).toBe(100);
    // Each event's own body went to its own delivery.
    await waitFor(async () => ((await received(b)).length >= 100 ? true : undefined), 30_000);
    const got = (await received(b)).map((r) => JSON.parse(r.body) as { event_id: string; data: { verification_id: string } });
    expect(new Set(got.map((g) => g.event_id)).size).toBe(100);
    for (const g of got) expect(g.data.verification_id).toBe(`ver_${g.event_id.slice("evt_group_".length)}`);
  });

  it("settles duplicates that land in one group: one event, one delivery, 409 for another body", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("dup")) });
    await activate(org.api_key, wh.id);
    const body = { event: "verification.completed", organisation_id: org.id, data: sampleCompleted, event_id: "evt_same" };
    const other = { ...body, data: { ...sampleCompleted, confidence: 0.1 } };
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => ingest(i % 10 === 9 ? other : body)));
    const statuses = answers.map((a) => a.status);
    // Whichever body was first is the event; every request with the other body is refused.
    const winner = answers.find((a) => a.status === 202)!;
    expect(winner.body).toMatchObject({ event_id: "evt_same", deliveries: 1, skipped: 0 });
    expect(statuses.filter((s) => s === 202).length + statuses.filter((s) => s === 409).length).toBe(30);
    expect([3, 27]).toContain(statuses.filter((s) => s === 409).length);
    expect(await count("events", "organisation_id = ?", org.id)).toBe(1);
    expect(await count("deliveries", "webhook_id = ?", wh.id)).toBe(1);
  });
});

describe("GroupCommit", () => {
  const table = `gc_${Date.now().toString(36)}`;
  const insert = (v: string) => ({ sql: `INSERT INTO ${table} (v) VALUES (?) RETURNING v`, params: [v] });

  it("fails every member of a group whose transaction fails, writes none of it, and goes on", async () => {
    await env.DB.prepare(`CREATE TABLE IF NOT EXISTS ${table} (v TEXT PRIMARY KEY)`).run();
    const gc = new GroupCommit({ maxEntries: 50, maxBytes: 1 << 20, stallMs: 5_000, settleMs: 5_000 });
    // a leads at once; b and c queue behind it and share the next transaction, which c breaks.
    const a = gc.run(env.DB, [insert("a")], 1);
    const b = gc.run(env.DB, [insert("b")], 1);
    const c = gc.run(env.DB, [insert("a")], 1); // duplicate key: the transaction fails
    expect((await a).results[0]!.results).toEqual([{ v: "a" }]);
    await expect(b).rejects.toThrow(/UNIQUE/);
    await expect(c).rejects.toThrow(/UNIQUE/);
    // b's row was rolled back with c's failure: it was told so, and it is not there.
    expect(await count(table, "v = 'b'")).toBe(0);
    const d = await gc.run(env.DB, [insert("d")], 1);
    expect(d).toMatchObject({ groupSize: 1 });
    expect(await count(table, "1 = 1")).toBe(2);
  });

  it("keeps groups within their size limits, in arrival order", async () => {
    await env.DB.prepare(`CREATE TABLE IF NOT EXISTS ${table}_s (v TEXT PRIMARY KEY)`).run();
    const gc = new GroupCommit({ maxEntries: 3, maxBytes: 100, stallMs: 5_000, settleMs: 5_000 });
    const put = (v: string, bytes: number) => gc.run(env.DB, [{ sql: `INSERT INTO ${table}_s (v) VALUES (?)`, params: [v] }], bytes);
    const runs = await Promise.all([put("1", 10), put("2", 10), put("3", 10), put("4", 10), put("5", 10), put("6", 90), put("7", 20)]);
    // 1 alone (it led at once), then 2 3 4 (3 entries), then 5 6 (100 bytes), then 7.
    expect(runs.map((r) => r.groupSize)).toEqual([1, 3, 3, 3, 2, 2, 1]);
  });

  it("is not held up by a waiting request whose client went away: that one is written, not answered", async () => {
    await env.DB.prepare(`CREATE TABLE IF NOT EXISTS ${table}_o (v TEXT PRIMARY KEY)`).run();
    const gc = new GroupCommit({ maxEntries: 2, maxBytes: 1 << 20, stallMs: 5_000, settleMs: 5_000 });
    const put = (v: string) => gc.run(env.DB, [{ sql: `INSERT INTO ${table}_o (v) VALUES (?)`, params: [v] }], 1);
    const first = put("first");
    // An entry queued by a request that is gone (cancelled: nobody polls it any more).
    (gc as unknown as { waiting: unknown[] }).waiting.push({ statements: [{ sql: `INSERT INTO ${table}_o (v) VALUES ('orphan')`, params: [] }], bytes: 1 });
    const [a, b, c] = [put("a"), put("b"), put("c")];
    const started = Date.now();
    await Promise.all([first, a, b, c]);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await count(`${table}_o`, "1 = 1")).toBe(5);
  });

  it("gives up on a stalled group after stallMs, and lets the next request lead", async () => {
    await env.DB.prepare(`CREATE TABLE IF NOT EXISTS ${table}_t (v TEXT PRIMARY KEY)`).run();
    const gc = new GroupCommit({ maxEntries: 50, maxBytes: 1 << 20, stallMs: 300, settleMs: 5_000 });
    // A leader whose write never comes back (its context lost): a database that never answers.
    const lost = { prepare: () => ({ bind: () => ({}) }), batch: () => new Promise(() => {}) } as unknown as D1Database;
    void gc.run(lost, [insert("never")], 1).catch(() => {});
    const started = Date.now();
    await expect(gc.run(env.DB, [{ sql: `INSERT INTO ${table}_t (v) VALUES ('waited')`, params: [] }], 1)).rejects.toThrow(/stalled/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await count(`${table}_t`, "1 = 1")).toBe(0);
    const next = await gc.run(env.DB, [{ sql: `INSERT INTO ${table}_t (v) VALUES ('next')`, params: [] }], 1);
    expect(next.groupSize).toBe(1);
    expect(await count(`${table}_t`, "v = 'next'")).toBe(1);
  });
});

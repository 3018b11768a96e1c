/**
 * Retention seen through the API. The log's is the head's alarm (src/durable/head/partitions.ts,
 * tested object by object in test/webhook-partitions.test.ts): a partition past
 * LOG_RETENTION_DAYS leaves the log whole, its totals stay in the statistics. Exports expire by
 * the maintenance run (D1 rows and R2 files).
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { healthStub } from "../src/durable/health-client";
import { logRetentionMs, purgeExpiredExports, purgeFinishedRecoveries } from "../src/maintenance/retention";
import { DAY_MS, dayOf } from "../src/storage/partitions";
import { deliveryLog } from "../src/storage/stubs";
import { call, createOrganisation, createWebhook, expectStatus, waitFor } from "./helpers/api";
import { allPages, daysAgo, newestFirst, seed } from "./helpers/logs";

type Head = ReturnType<typeof healthStub>;

/**
 * Retention waits (as after a run that left something) while the test writes partitions of days
 * already past it, or the head's alarm, due at once, could drop one between its registration and
 * its rows; then it is due again.
 */
const retentionAt = (head: Head, at: number) => runInDurableObject(head, (_o, state) => state.storage.kv.put("retention_retry_at", at));

/** Tables left in a partition's storage: none once it is dropped. */
const tablesOf = (organisationId: number, webhookId: string, day: number) =>
  runInDurableObject(deliveryLog(env, organisationId, webhookId, day), (_o, state) =>
    state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").one().n,
  );

describe("log retention", () => {
  it("drops the partitions past LOG_RETENTION_DAYS (30) whole and leaves the statistics and the list's summary as they were", async () => {
    expect(env.LOG_RETENTION_DAYS).toBe("30");
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    const head = healthStub(env, org.id, wh.id);
    await head.addPartition(org.id, wh.id, dayOf(Date.now()));
    await retentionAt(head, Date.now() + DAY_MS);
    // 400 attempts from 32 days ago to 30.5 days ago (two partitions), then 300 from 2 days ago.
    const old = await seed({ organisationId: org.id, webhookId: wh.id, tag: "old", count: 400, start: daysAgo(32), stepMs: 600_000 });
    const recent = await seed({ organisationId: org.id, webhookId: wh.id, tag: "new", count: 300, start: daysAgo(2), stepMs: 60_000 });
    const oldDays = [...new Set(old.map((r) => dayOf(r.created_at)))];
    expect(oldDays).toEqual([dayOf(daysAgo(32)), dayOf(daysAgo(31))]);

    const before = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/stats`, { token: org.api_key });
    expect(before.total_deliveries).toBeGreaterThan(500);
    await head.noteActivity(org.id, wh.id); // as record() does; the seed writes partitions directly
    const summary = async () => {
      const w = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key });
      return { success_rate: w.success_rate, last_triggered_at: w.last_triggered_at };
    };
    const listedBefore = await waitFor(async () => ((await summary()).success_rate === before.success_rate ? summary() : undefined));

    await retentionAt(head, Date.now() - 1);
    await waitFor(async () => {
      await runDurableObjectAlarm(head);
      return (await head.partitions()).every((day) => !oldDays.includes(day)) && (await runInDurableObject(head, (_o, state) => state.storage.kv.get<unknown[]>("dropping")))?.length === 0;
    }, 5_000, 50);

    expect(await head.partitions()).toEqual([...new Set(recent.map((r) => dayOf(r.created_at)))].concat(dayOf(Date.now())).sort((a, b) => a - b));
    for (const day of oldDays) expect(await tablesOf(org.id, wh.id, day)).toBe(0);
    expect((await allPages(org.api_key, wh.id)).rows.map((r) => r.id)).toEqual(newestFirst(recent).map((r) => r.id));
    expect(await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/stats`, { token: org.api_key })).toEqual(before);
    // A refresh after the drop writes the same summary again: the folded totals count in it.
    await env.DB.prepare("UPDATE webhook_stats SET total = 0, successful = 0, failed = 0, last_triggered_at = NULL WHERE webhook_id = ?").bind(wh.id).run();
    expect(await summary()).toEqual({ success_rate: null, last_triggered_at: null });
    await head.noteActivity(org.id, wh.id);
    expect(await waitFor(async () => ((await summary()).success_rate !== null ? summary() : undefined), 5_000, 50)).toEqual(listedBefore);
  });
});

describe("export expiry", () => {
  it("hides an expired export at once and purges it with its file, leaving live ones", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    await seed({ organisationId: org.id, webhookId: wh.id, tag: "exp", count: 20, start: daysAgo(1) });
    const ids: string[] = [];
    // One after the other: a webhook has one unfinished export at a time.
    for (let i = 0; i < 2; i++) {
      const id = (await expectStatus(202, "POST", `/v1/webhooks/${wh.id}/logs/export`, { token: org.api_key })).id as string;
      await waitFor(async () => (await expectStatus(200, "GET", `/v1/exports/${id}`, { token: org.api_key })).status === "done");
      ids.push(id);
    }
    const keyOf = async (id: string) => (await env.DB.prepare("SELECT object_key FROM exports WHERE id = ?").bind(id).first<{ object_key: string }>())?.object_key;
    const [expired, live] = ids as [string, string];
    const expiredKey = (await keyOf(expired))!;

    await env.DB.prepare("UPDATE exports SET expires_at = ? WHERE id = ?").bind(Date.now() - 1, expired).run();
    expect((await call("GET", `/v1/exports/${expired}`, { token: org.api_key })).status).toBe(404);
    expect((await call("GET", `/v1/exports/${expired}/download`, { token: org.api_key })).status).toBe(404);

    expect(await purgeExpiredExports(env)).toBeGreaterThanOrEqual(1);
    expect(await keyOf(expired)).toBeUndefined();
    expect(await env.EXPORTS.head(expiredKey)).toBeNull();
    expect(await env.EXPORTS.head((await keyOf(live))!)).not.toBeNull();
    expect((await call("GET", `/v1/exports/${live}/download`, { token: org.api_key })).status).toBe(200);
  });
});

describe("finished recoveries", () => {
  it("are deleted LOG_RETENTION_DAYS after they ended, through the API too; unfinished and recent ones stay", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    const now = Date.now();
    const old = now - logRetentionMs(env) - 60_000;
    const rows: [string, string, number][] = [
      ["rcv_old_done", "done", old],
      ["rcv_old_failed", "failed", old],
      ["rcv_new_done", "done", now - 60_000],
      ["rcv_old_running", "running", old],
    ];
    await env.DB.batch(
      rows.map(([id, status, at]) =>
        env.DB.prepare("INSERT INTO recoveries (id, organisation_id, webhook_id, status, since_at, until_at, total, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)")
          .bind(id, org.id, wh.id, status, at - DAY_MS, at - 1, at, at),
      ),
    );
    await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/recoveries/rcv_old_done`, { token: org.api_key });

    expect(await purgeFinishedRecoveries(env, now)).toBe(2);
    const left = await env.DB.prepare("SELECT id FROM recoveries WHERE webhook_id = ? ORDER BY id").bind(wh.id).all<{ id: string }>();
    expect(left.results.map((r) => r.id)).toEqual(["rcv_new_done", "rcv_old_running"]);
    expect((await call("GET", `/v1/webhooks/${wh.id}/recoveries/rcv_old_done`, { token: org.api_key })).status).toBe(404);
    expect(await purgeFinishedRecoveries(env, now)).toBe(0);
  });
});

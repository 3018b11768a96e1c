import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runMaintenance } from "../src/maintenance";
import { purgeExpiredExports, purgeOldAttempts } from "../src/maintenance/retention";
import { call, createOrganisation, createWebhook, expectStatus, waitFor } from "./helpers/api";
import { allPages, daysAgo, newestFirst, seed } from "./helpers/logs";

const DAY = 86_400_000;

async function attemptsOf(webhookId: string) {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM attempts WHERE webhook_id = ?").bind(webhookId).first<{ n: number }>();
  return row!.n;
}

describe("log retention", () => {
  it("purges attempts older than LOG_RETENTION_DAYS (30) and leaves the statistics as they were", async () => {
    expect(env.LOG_RETENTION_DAYS).toBe("30");
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    // 400 attempts from 32 days ago to 30.5 days ago, then 300 from 2 days ago.
    await seed({ organisationId: org.id, webhookId: wh.id, tag: "old", count: 400, start: daysAgo(32), stepMs: 600_000 });
    const recent = await seed({ organisationId: org.id, webhookId: wh.id, tag: "new", count: 300, start: daysAgo(2), stepMs: 60_000 });
    const before = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/stats`, { token: org.api_key });
    const listedBefore = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key });
    expect(before.total_deliveries).toBeGreaterThan(500);

    await runMaintenance(env);

    expect(await attemptsOf(wh.id)).toBe(300);
    expect((await allPages(org.api_key, wh.id)).rows.map((r) => r.id)).toEqual(newestFirst(recent).map((r) => r.id));
    expect(await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/stats`, { token: org.api_key })).toEqual(before);
    const listedAfter = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key });
    expect([listedAfter.success_rate, listedAfter.last_triggered_at]).toEqual([listedBefore.success_rate, listedBefore.last_triggered_at]);
  });

  it("deletes in bounded chunks, oldest first, and finishes over the next runs", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    const old = await seed({ organisationId: org.id, webhookId: wh.id, tag: "chunk", count: 450, start: daysAgo(40), stepMs: 1000 });
    expect(await purgeOldAttempts(env, Date.now(), 100, 2)).toBe(200);
    expect(await attemptsOf(wh.id)).toBe(250);
    // The oldest went first: what is left is the newest 250.
    const left = await env.DB.prepare("SELECT id FROM attempts WHERE webhook_id = ? ORDER BY created_at DESC, id DESC").bind(wh.id).all<{ id: string }>();
    expect(left.results.map((r) => r.id)).toEqual(newestFirst(old).slice(0, 250).map((r) => r.id));
    expect(await purgeOldAttempts(env, Date.now(), 100, 2)).toBe(200);
    expect(await purgeOldAttempts(env, Date.now(), 100, 2)).toBe(50);
    expect(await attemptsOf(wh.id)).toBe(0);
  });

  it("follows a shorter LOG_RETENTION_DAYS", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    await seed({ organisationId: org.id, webhookId: wh.id, tag: "short", count: 100, start: daysAgo(3), stepMs: 3_600_000 });
    const now = Date.now();
    const cutoff = now - 2 * DAY;
    const older = (await env.DB.prepare("SELECT count(*) AS n FROM attempts WHERE webhook_id = ? AND created_at < ?").bind(wh.id, cutoff).first<{ n: number }>())!.n;
    expect(older).toBeGreaterThan(0);
    // Other tests' attempts of two days ago go too; this webhook's are counted below.
    expect(await purgeOldAttempts({ ...env, LOG_RETENTION_DAYS: "2" }, now)).toBeGreaterThanOrEqual(older);
    expect(await attemptsOf(wh.id)).toBe(100 - older);
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

/** GET /v1/webhooks: the product document's columns, filters, and cursor pagination. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { activate, call, createOrganisation, createWebhook, expectStatus } from "./helpers/api";

async function allPages(token: string, query: string, between?: (page: number) => Promise<void>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const q = `${query}${cursor ? `&cursor=${cursor}` : ""}`;
    const body: { data: { id: string }[]; next_cursor: string | null } = await expectStatus(200, "GET", `/v1/webhooks?${q}`, { token });
    ids.push(...body.data.map((w) => w.id));
    cursor = body.next_cursor;
    if (!cursor) return ids;
    await between?.(page);
  }
  throw new Error("pagination did not end");
}

describe("list", () => {
  it("shows the product document's columns for each webhook", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { events: ["verification.completed", "verification.failed"] });
    // Stats as the delivery pipeline keeps them: 3 of 4 attempts succeeded.
    await env.DB.prepare("UPDATE webhook_stats SET total = 4, successful = 3, failed = 1, last_triggered_at = ? WHERE webhook_id = ?")
      .bind(Date.parse("2026-01-28T10:30:00Z"), wh.id)
      .run();
    const { data, next_cursor } = await expectStatus(200, "GET", "/v1/webhooks", { token: org.api_key });
    expect(next_cursor).toBeNull();
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({
      id: wh.id,
      name: wh.name, // Name
      type: "event_notification", // Type
      url: wh.url, // URL
      events_count: 2, // Events
      status: "inactive", // Status
      success_rate: 75, // Success Rate, a percentage
      last_triggered_at: "2026-01-28T10:30:00.000Z", // Last Triggered
    });
    expect(data[0]).not.toHaveProperty("secret");
  });

  it("lists only the caller's organisation, newest first", async () => {
    const org = await createOrganisation();
    const other = await createOrganisation();
    const a = await createWebhook(org.api_key);
    await createWebhook(other.api_key);
    const b = await createWebhook(org.api_key);
    const { data } = await expectStatus(200, "GET", "/v1/webhooks", { token: org.api_key });
    expect(data.map((w: { id: string }) => w.id)).toEqual([b.id, a.id]);
  });

  it("filters by status and by type, together or apart", async () => {
    const org = await createOrganisation();
    const e1 = await createWebhook(org.api_key);
    const e2 = await createWebhook(org.api_key);
    const c1 = await createWebhook(org.api_key, { type: "verification_check", events: undefined });
    const c2 = await createWebhook(org.api_key, { type: "verification_check", events: undefined });
    await activate(org.api_key, e2.id);
    await activate(org.api_key, c2.id);
    await expectStatus(200, "POST", `/v1/webhooks/${c2.id}/pause`, { token: org.api_key });
    const ids = async (q: string) => (await expectStatus(200, "GET", `/v1/webhooks?${q}`, { token: org.api_key })).data.map((w: { id: string }) => w.id).sort();
    expect(await ids("type=event_notification")).toEqual([e1.id, e2.id].sort());
    expect(await ids("type=verification_check")).toEqual([c1.id, c2.id].sort());
    expect(await ids("status=inactive")).toEqual([e1.id, c1.id].sort());
    expect(await ids("status=active")).toEqual([e2.id]);
    expect(await ids("status=paused")).toEqual([c2.id]);
    expect(await ids("status=paused&type=event_notification")).toEqual([]);
    expect(await ids("status=inactive&type=verification_check")).toEqual([c1.id]);
  });

  it("pages with a cursor: every row once, in order, even while rows are added between pages", async () => {
    const org = await createOrganisation();
    for (let i = 0; i < 7; i++) await createWebhook(org.api_key, { name: `w${i}` });
    const onePage = async () => (await expectStatus(200, "GET", "/v1/webhooks?limit=100", { token: org.api_key })).data.map((w: { id: string }) => w.id);
    const first: string[] = await onePage();

    const added: string[] = [];
    const seen = await allPages(org.api_key, "limit=3", async () => {
      added.push((await createWebhook(org.api_key, { name: "added meanwhile" })).id);
    });
    // The walk that started before the additions sees exactly the rows that existed then, once each.
    expect(seen).toEqual(first);
    expect(added).toHaveLength(2);
    // A new walk sees everything, newest (the added ones) first.
    const now = await onePage();
    expect(now.slice(2)).toEqual(first);
    expect([...now.slice(0, 2)].sort()).toEqual([...added].sort());
    expect(await allPages(org.api_key, "limit=4")).toEqual(now);
  });

  it("pages with filters applied, and ends with next_cursor null on an exact last page", async () => {
    const org = await createOrganisation();
    for (let i = 0; i < 4; i++) {
      await createWebhook(org.api_key, { type: "verification_check", events: undefined });
      await createWebhook(org.api_key);
    }
    const all = await expectStatus(200, "GET", "/v1/webhooks?limit=100", { token: org.api_key });
    const checks = all.data.filter((w: { type: string }) => w.type === "verification_check").map((w: { id: string }) => w.id);
    expect(checks).toHaveLength(4);
    expect(await allPages(org.api_key, "type=verification_check&limit=2")).toEqual(checks);
    const page = await expectStatus(200, "GET", "/v1/webhooks?type=verification_check&limit=4", { token: org.api_key });
    expect(page.data).toHaveLength(4);
    expect(page.next_cursor).toBeNull();
  });

  it("defaults to 20 a page and allows up to 100", async () => {
    const org = await createOrganisation();
    for (let i = 0; i < 21; i++) await createWebhook(org.api_key);
    const page = await expectStatus(200, "GET", "/v1/webhooks", { token: org.api_key });
    expect(page.data).toHaveLength(20);
    expect(page.next_cursor).toBe(page.data[19].id);
    expect((await expectStatus(200, "GET", "/v1/webhooks?limit=100", { token: org.api_key })).data).toHaveLength(21);
  });

  it.each([
    ["status=deleted", "status"],
    ["type=email", "type"],
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=ten", "limit"],
    ["limit=2.5", "limit"],
    ["cursor=not-a-cursor", "cursor"],
    ["sort=name", "sort"],
  ])("refuses ?%s naming %s", async (query, path) => {
    const org = await createOrganisation();
    const res = await call("GET", `/v1/webhooks?${query}`, { token: org.api_key });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual([path]);
  });
});

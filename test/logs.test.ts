import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { activate, call, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { logLateRetry } from "./helpers/late-retry";
import { allPages, daysAgo, newestFirst, seed, type Seeded } from "./helpers/logs";
import { receiverUrl, bucket } from "./helpers/receivers";
import { dayOfDelivery } from "../src/storage/partitions";
import { deliveryLog } from "../src/storage/stubs";

const HOUR = 3_600_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe("delivery logs", () => {
  let org: Awaited<ReturnType<typeof createOrganisation>>;
  let wh: { id: string };
  let rows: Seeded[];
  // 300 attempts, two per ten minutes, over 25 hours from noon three days ago.
  const start = daysAgo(3) + 12 * HOUR;
  const ids = (list: { id: string }[]) => list.map((r) => r.id);
  const get = (query: Record<string, string>) => allPages(org.api_key, wh.id, query, 37);

  beforeAll(async () => {
    org = await createOrganisation();
    wh = await createWebhook(org.api_key);
    rows = await seed({ organisationId: org.id, webhookId: wh.id, tag: "logs", count: 300, start, stepMs: 10 * 60_000 });
  });

  it("answers newest first, 50 by default, with every field of a log row", async () => {
    const page = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/logs`, { token: org.api_key });
    expect(page.data).toHaveLength(50);
    expect(ids(page.data)).toEqual(ids(newestFirst(rows).slice(0, 50)));
    expect(page.next_cursor).toEqual(expect.any(String));
    const failed = rows.find((r) => r.status === "failed")!;
    const shown = (await get({})).rows.find((r) => r.id === failed.id);
    expect(shown).toEqual({
      id: failed.id,
      delivery_id: failed.delivery_id,
      event_id: failed.event_id,
      event: failed.event,
      attempt: failed.attempt,
      status: "failed",
      response_code: 500,
      response_time_ms: failed.response_time_ms,
      error_code: "http_5xx",
      error: failed.error,
      test: failed.test === 1,
      timestamp: new Date(failed.created_at).toISOString(),
    });
  });

  it("pages through everything once, ties in time included", async () => {
    const all = await get({});
    expect(all.pages).toBe(Math.ceil(300 / 37));
    expect(ids(all.rows)).toEqual(ids(newestFirst(rows)));
  });

  it.each(["success", "failed", "retrying", "skipped"])("filters by status=%s", async (status) => {
    const got = await get({ status });
    expect(got.rows.length).toBeGreaterThan(0);
    expect(ids(got.rows)).toEqual(ids(newestFirst(rows.filter((r) => r.status === status))));
  });

  it("filters by event", async () => {
    const got = await get({ event: "units.low_balance" });
    expect(ids(got.rows)).toEqual(ids(newestFirst(rows.filter((r) => r.event === "units.low_balance"))));
    expect((await get({ event: "workflow.created" })).rows).toEqual([]);
  });

  it("filters by a date-time range, both ends included", async () => {
    const from = start + 2 * HOUR;
    const to = start + 5 * HOUR;
    const got = await get({ from: new Date(from).toISOString(), to: new Date(to).toISOString() });
    const expected = newestFirst(rows.filter((r) => r.created_at >= from && r.created_at <= to));
    expect(ids(got.rows)).toEqual(ids(expected));
    expect(got.rows[0].timestamp).toBe(new Date(to).toISOString());
    expect(got.rows.at(-1).timestamp).toBe(new Date(from).toISOString());
  });

  it("takes only from, or only to, and zone offsets", async () => {
    const from = start + 20 * HOUR;
    expect(ids((await get({ from: new Date(from).toISOString() })).rows)).toEqual(ids(newestFirst(rows.filter((r) => r.created_at >= from))));
    const to = start + HOUR;
    // 13:00Z written as 16:00 at +03:00 (Nairobi).
    const local = new Date(to + 3 * HOUR).toISOString().replace("Z", "+03:00");
    expect(ids((await get({ to: local })).rows)).toEqual(ids(newestFirst(rows.filter((r) => r.created_at <= to))));
  });

  it("reads a bare date as the whole day", async () => {
    const firstDay = day(start);
    const secondDay = day(start + 24 * HOUR);
    const onFirst = newestFirst(rows.filter((r) => day(r.created_at) === firstDay));
    expect(ids((await get({ from: firstDay, to: firstDay })).rows)).toEqual(ids(onFirst));
    expect(ids((await get({ from: secondDay })).rows)).toEqual(ids(newestFirst(rows.filter((r) => day(r.created_at) === secondDay))));
    expect(onFirst.length).toBe(144); // noon to midnight: 12 hours of two per ten minutes
  });

  it("combines status, event and range", async () => {
    const query = { status: "failed", event: "verification.failed", from: new Date(start + HOUR).toISOString(), to: new Date(start + 20 * HOUR).toISOString() };
    const expected = newestFirst(
      rows.filter((r) => r.status === "failed" && r.event === "verification.failed" && r.created_at >= start + HOUR && r.created_at <= start + 20 * HOUR),
    );
    expect(expected.length).toBeGreaterThan(5);
    expect(ids((await allPages(org.api_key, wh.id, query, 2)).rows)).toEqual(ids(expected));
  });

  it("pages deep with a range, and lets `to` win over a cursor above it", async () => {
    const to = start + 20 * HOUR;
    const inRange = newestFirst(rows.filter((r) => r.created_at <= to));
    const page = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/logs?limit=100&to=${new Date(to).toISOString()}`, { token: org.api_key });
    const next = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/logs?limit=100&to=${new Date(to).toISOString()}&cursor=${page.next_cursor}`, { token: org.api_key });
    expect(ids(next.data)).toEqual(ids(inRange.slice(100, 200)));
    // A cursor from the unfiltered list, newer than `to`: the page starts at `to`.
    const newest = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/logs?limit=1`, { token: org.api_key });
    const fromTop = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/logs?limit=5&to=${new Date(to).toISOString()}&cursor=${newest.next_cursor}`, { token: org.api_key });
    expect(ids(fromTop.data)).toEqual(ids(inRange.slice(0, 5)));
  });

  it("keeps its place while new attempts arrive", async () => {
    const other = await createWebhook(org.api_key);
    const before = await seed({ organisationId: org.id, webhookId: other.id, tag: "live", count: 100, start, stepMs: 60_000 });
    const first = await expectStatus(200, "GET", `/v1/webhooks/${other.id}/logs?limit=30`, { token: org.api_key });
    // 51 newer attempts, the first at the very millisecond of the newest one already seen.
    const newer = await seed({ organisationId: org.id, webhookId: other.id, tag: "live2", first: 99, count: 51, start, stepMs: 60_000 });
    const rest: any[] = [];
    let cursor = first.next_cursor;
    while (cursor) {
      const page = await expectStatus(200, "GET", `/v1/webhooks/${other.id}/logs?limit=30&cursor=${cursor}`, { token: org.api_key });
      rest.push(...page.data);
      cursor = page.next_cursor;
    }
    expect([...ids(first.data), ...ids(rest)]).toEqual(ids(newestFirst(before)));
    const fresh = await expectStatus(200, "GET", `/v1/webhooks/${other.id}/logs?limit=500`, { token: org.api_key });
    expect(fresh.data).toHaveLength(151);
    expect(ids(fresh.data.slice(0, 50))).toEqual(ids(newestFirst(newer).slice(0, 50)));
  });

  it("merges partitions whose attempts interleave: a retry logged a day after its delivery", async () => {
    const other = await createWebhook(org.api_key);
    const first = await seed({ organisationId: org.id, webhookId: other.id, tag: "day1", count: 40, start: daysAgo(3) + 12 * HOUR, stepMs: 30 * 60_000 });
    const second = await seed({ organisationId: org.id, webhookId: other.id, tag: "day2", count: 40, start: daysAgo(2) + 6 * HOUR, stepMs: 30 * 60_000 });
    // In the first day's partition, its retry at a time among the second day's rows.
    const late = await logLateRetry(org.id, other.id, daysAgo(3) + 13 * HOUR + 1, daysAgo(2) + 9 * HOUR + 1);
    const all = newestFirst([...first, ...second, ...late]);
    expect(ids((await allPages(org.api_key, other.id, {}, 3)).rows)).toEqual(ids(all));
    expect(ids((await allPages(org.api_key, other.id, { status: "success" }, 4)).rows)).toEqual(ids(all.filter((r) => r.status === "success")));
    const to = daysAgo(2) + 10 * HOUR;
    expect(ids((await allPages(org.api_key, other.id, { to: new Date(to).toISOString() }, 5)).rows)).toEqual(ids(all.filter((r) => r.created_at <= to)));
  });

  it("takes a limit from 1 to 500", async () => {
    expect((await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/logs?limit=1`, { token: org.api_key })).data).toHaveLength(1);
    const big = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/logs?limit=500`, { token: org.api_key });
    expect(big.data).toHaveLength(300);
    expect(big.next_cursor).toBeNull();
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=501", "limit"],
    ["limit=ten", "limit"],
    ["limit=2.5", "limit"],
    ["status=ok", "status"],
    ["from=yesterday", "from"],
    ["to=2026-02-30", "to"],
    ["from=2026-01-28T10:30:00", "from"],
    ["from=2026-01-29&to=2026-01-28", "to"],
    ["event=", "event"],
    ["cursor=not-a-cursor", "cursor"],
    [`cursor=${btoa("123.")}`, "cursor"],
    ["page=2", "page"],
  ])("refuses %s naming %s", async (query, path) => {
    const res = await call("GET", `/v1/webhooks/${wh.id}/logs?${query}`, { token: org.api_key });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it("answers 404 for another organisation's webhook or an unknown one, 401 without a key", async () => {
    const stranger = await createOrganisation();
    for (const path of [`/v1/webhooks/${wh.id}/logs`, `/v1/webhooks/wh_nope/logs`]) {
      const res = await call("GET", path, { token: stranger.api_key });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("NOT_FOUND");
    }
    expect((await call("GET", `/v1/webhooks/${wh.id}/logs`)).status).toBe(401);
  });

  it("shows a real delivery attempt", async () => {
    const b = bucket("logs");
    const live = await createWebhook(org.api_key, { url: receiverUrl("http", b) });
    await activate(org.api_key, live.id);
    const sent = await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted });
    expect(sent.status).toBe(202);
    const page = await waitFor(async () => {
      const p = await expectStatus(200, "GET", `/v1/webhooks/${live.id}/logs`, { token: org.api_key });
      return p.data.length ? p : undefined;
    });
    expect(page.data[0]).toMatchObject({ event_id: sent.body.event_id, event: "verification.completed", attempt: 1, status: "success", response_code: 200, error: null, test: false });
    expect(page.data[0].response_time_ms).toBeGreaterThanOrEqual(0);
    // The delivery the log names is the one stored in the partition of its day.
    const day = dayOfDelivery(page.data[0].delivery_id);
    const [stored] = await deliveryLog(env, org.id, live.id, day).load({ organisationId: org.id, webhookId: live.id, day }, [page.data[0].delivery_id]);
    expect(stored).toMatchObject({ id: page.data[0].delivery_id, event_id: sent.body.event_id, status: "success", attempts: 1 });
  });
});

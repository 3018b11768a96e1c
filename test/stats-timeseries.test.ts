/**
 * GET /v1/webhooks/{id}/stats/timeseries, checked against the seeded log worked out in
 * JavaScript: per-bucket counts and exact medians, empty buckets as zeros, the same totals as
 * the statistics, the bucket limit, tenancy, and a plan that searches the webhook's time index.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TIMESERIES_SQL } from "../src/stats/read-timeseries";
import { call, createOrganisation, createWebhook, expectStatus } from "./helpers/api";
import { daysAgo, seed, type Seeded } from "./helpers/logs";

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** What the chart must show for these rows, bucket by bucket, from first to last. */
function expected(rows: Seeded[], first: number, buckets: number, bucketMs: number) {
  return Array.from({ length: buckets }, (_, i) => {
    const start = first + i * bucketMs;
    const inBucket = rows.filter((r) => r.created_at >= start && r.created_at < start + bucketMs && r.test === 0 && r.status !== "skipped");
    const times = inBucket.map((r) => r.response_time_ms).filter((t): t is number => t !== null).sort((a, b) => a - b);
    const mid = times.length / 2;
    const median = times.length === 0 ? null : times.length % 2 ? times[Math.floor(mid)]! : (times[mid - 1]! + times[mid]!) / 2;
    return {
      t: iso(start),
      success: inBucket.filter((r) => r.status === "success").length,
      failed: inBucket.filter((r) => r.status !== "success").length,
      median_response_time_ms: median,
    };
  });
}

describe("GET /v1/webhooks/{id}/stats/timeseries", async () => {
  const org = await createOrganisation();
  const wh = await createWebhook(org.api_key);
  // 20 s apart in pairs: 600 attempts over 100 minutes, from 00:30 two days ago.
  const start = daysAgo(2) + HOUR / 2;
  const rows = await seed({ organisationId: org.id, webhookId: wh.id, tag: "ts", count: 600, start, stepMs: 20_000 });
  const path = (query: string) => `/v1/webhooks/${wh.id}/stats/timeseries?${query}`;
  const get = (query: string) => expectStatus<{ data: any[] }>(200, "GET", path(query), { token: org.api_key });

  it("counts each hour as the statistics count, with the exact median, empty hours as zeros", async () => {
    const { data } = await get(`bucket=hour&from=${iso(start - HOUR)}&to=${iso(start + 3 * HOUR)}`);
    // From 23:30 to 03:30: the buckets 23:00 to 03:00, widened to whole hours.
    expect(data).toEqual(expected(rows, daysAgo(2) - HOUR, 5, HOUR));
    // By hand: rows 0-179, 180-539 and 540-599, less one in ten skipped and one in 25 test sends.
    expect(data.map((p) => p.success + p.failed)).toEqual([0, 180 - 18 - 7, 360 - 36 - 14, 60 - 6 - 3, 0]);
  });

  it("adds up to the statistics' totals", async () => {
    const { data } = await get(`bucket=day&from=${iso(daysAgo(3))}&to=${iso(daysAgo(0))}`);
    const stats = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/stats`, { token: org.api_key });
    expect(data.reduce((n, p) => n + p.success, 0)).toBe(stats.successful_deliveries);
    expect(data.reduce((n, p) => n + p.failed, 0)).toBe(stats.failed_deliveries);
    expect(data).toHaveLength(4);
  });

  it("splits by minute, and includes both ends of the range", async () => {
    const { data } = await get(`bucket=minute&from=${iso(start)}&to=${iso(start + 10 * 60_000 - 1)}`);
    expect(data).toEqual(expected(rows, start, 10, 60_000));
    // Six pairs a minute, less the skipped and the test sends.
    expect(data.every((p) => p.success + p.failed > 0)).toBe(true);
  });

  it("defaults to the last 60 minutes, 24 hours or 30 days, ending in the current bucket", async () => {
    for (const [bucket, n, ms] of [["minute", 60, 60_000], ["hour", 24, HOUR], ["day", 30, 24 * HOUR]] as const) {
      const { data } = await get(`bucket=${bucket}`);
      expect(data, bucket).toHaveLength(n);
      expect(Date.parse(data[n - 1].t), bucket).toBe(Math.floor(Date.now() / ms) * ms);
    }
    expect((await get("")).data).toHaveLength(24);
  });

  it("allows 500 buckets and refuses 501, naming from", async () => {
    const to = start;
    expect((await get(`bucket=minute&from=${iso(to - 499 * 60_000)}&to=${iso(to)}`)).data).toHaveLength(500);
    const res = await call("GET", path(`bucket=minute&from=${iso(to - 500 * 60_000)}&to=${iso(to)}`), { token: org.api_key });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: "from", message: expect.stringContaining("at most 500") }]);
  });

  it.each([
    ["bucket=week", "bucket"],
    ["from=yesterday", "from"],
    ["from=2026-02-30", "from"],
    [`from=${iso(start)}&to=${iso(start - HOUR)}`, "to"],
    ["status=failed", "status"],
  ])("refuses %s, naming %s", async (query, field) => {
    const res = await call("GET", path(query), { token: org.api_key });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
  });

  it("answers 404 for another organisation's webhook and for an unknown one", async () => {
    const other = await createOrganisation();
    for (const [id, key] of [[wh.id, other.api_key], ["wh_00000000000000000000000000", org.api_key]]) {
      const res = await call("GET", `/v1/webhooks/${id}/stats/timeseries`, { token: key });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("NOT_FOUND");
    }
  });

  it("reads only the range, through the webhook's time index", async () => {
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${TIMESERIES_SQL}`).bind(HOUR, wh.id, start, start + HOUR, org.id).all<{ detail: string }>();
    const plan = results.map((r) => r.detail).join("\n");
    expect(plan).toMatch(/SEARCH attempts USING INDEX attempts_webhook_time \(webhook_id=\? AND created_at>\? AND created_at<\?\)/);
    expect(plan).not.toMatch(/SCAN attempts/);
  });
});

it("a webhook with no attempts has zero buckets", async () => {
  const org = await createOrganisation();
  const wh = await createWebhook(org.api_key);
  const { data } = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/stats/timeseries?bucket=hour`, { token: org.api_key });
  expect(data).toHaveLength(24);
  expect(data.every((p: any) => p.success === 0 && p.failed === 0 && p.median_response_time_ms === null)).toBe(true);
});

/**
 * GET /v1/webhooks/{id}/stats/timeseries, checked against the seeded log worked out in
 * JavaScript: per-bucket counts and estimated medians, empty buckets as zeros, the same totals as
 * the statistics, the bucket limit, tenancy, and which partitions a range reads.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { LATENCY_BOUNDS_MS, medianFromBuckets } from "../src/stats/latency";
import { dayOf } from "../src/storage/partitions";
import { deliveryLog } from "../src/storage/stubs";
import { call, createOrganisation, createWebhook, expectStatus } from "./helpers/api";
import { logLateRetry } from "./helpers/late-retry";
import { daysAgo, seed, type Seeded } from "./helpers/logs";

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const bucketOf = (ms: number) => LATENCY_BOUNDS_MS.filter((b) => b <= ms).length;
/** The estimate's documented error (src/stats/read-stats.ts), relative to the lower median. */
const allowed = (t: number) => (t < 10 ? 1 / Math.max(t, 1) : t < 60 ? 0.167 : t < 30_000 ? 0.155 : 0.225);

/** What the chart must show for these rows, bucket by bucket, from first to last. */
function expected(rows: Seeded[], first: number, buckets: number, bucketMs: number) {
  return Array.from({ length: buckets }, (_, i) => {
    const start = first + i * bucketMs;
    const inBucket = rows.filter((r) => r.created_at >= start && r.created_at < start + bucketMs && r.test === 0 && r.status !== "skipped");
    const times = inBucket.map((r) => r.response_time_ms).filter((t): t is number => t !== null);
    const histogram = new Map<number, number>();
    for (const t of times) histogram.set(bucketOf(t), (histogram.get(bucketOf(t)) ?? 0) + 1);
    return {
      t: iso(start),
      success: inBucket.filter((r) => r.status === "success").length,
      failed: inBucket.filter((r) => r.status !== "success").length,
      median_response_time_ms: medianFromBuckets([...histogram].map(([bucket, count]) => ({ bucket, count }))),
    };
  });
}

/** Each bucket's estimate is within the documented error of its true lower median. */
function expectNearLowerMedians(rows: Seeded[], first: number, bucketMs: number, data: { median_response_time_ms: number | null }[]) {
  data.forEach((p, i) => {
    const start = first + i * bucketMs;
    const times = rows
      .filter((r) => r.created_at >= start && r.created_at < start + bucketMs && r.test === 0 && r.status !== "skipped" && r.response_time_ms !== null)
      .map((r) => r.response_time_ms!)
      .sort((a, b) => a - b);
    if (times.length === 0) return expect(p.median_response_time_ms).toBeNull();
    const lower = times[Math.ceil(times.length / 2) - 1]!;
    expect(Math.abs(p.median_response_time_ms! - lower) / Math.max(lower, 1), `bucket ${iso(start)}`).toBeLessThanOrEqual(allowed(lower));
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

  it("counts each hour as the statistics count, with the estimated median, empty hours as zeros", async () => {
    const { data } = await get(`bucket=hour&from=${iso(start - HOUR)}&to=${iso(start + 3 * HOUR)}`);
    // From 23:30 to 03:30: the buckets 23:00 to 03:00, widened to whole hours.
    expect(data).toEqual(expected(rows, daysAgo(2) - HOUR, 5, HOUR));
    expectNearLowerMedians(rows, daysAgo(2) - HOUR, HOUR, data);
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
    expectNearLowerMedians(rows, start, 60_000, data);
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

  it("reads the partitions whose day starts by the end of the range, not the later ones", async () => {
    const later = await seed({ organisationId: org.id, webhookId: wh.id, tag: "ts_later", count: 20, start: daysAgo(1) + HOUR, stepMs: 60_000 });
    // A delivery of two days ago (after the hours checked below) retried yesterday: its attempts are in the older partition.
    const [, retry] = await logLateRetry(org.id, wh.id, daysAgo(2) + 20 * HOUR, daysAgo(1) + 2 * HOUR);
    const meter = (day: number) => deliveryLog(env, org.id, wh.id, day).meter();
    const [before, beforeLater] = [await meter(dayOf(start)), await meter(dayOf(later[0]!.created_at))];
    const { data } = await get(`bucket=hour&from=${iso(daysAgo(2))}&to=${iso(daysAgo(2) + 2 * HOUR - 1)}`);
    expect(data).toEqual(expected(rows, daysAgo(2), 2, HOUR));
    // The range's partition was read; the next day's was not asked.
    expect((await meter(dayOf(start))).rowsRead).toBeGreaterThan(before.rowsRead);
    expect(await meter(dayOf(later[0]!.created_at))).toEqual(beforeLater);
    // A range on the later day also reads the earlier partition (a retry can be logged days after its delivery).
    const next = await get(`bucket=day&from=${iso(daysAgo(1))}&to=${iso(daysAgo(1))}`);
    expect(next.data).toEqual(expected([...later, retry!], daysAgo(1), 1, 24 * HOUR));
    expect(next.data[0].success).toBe(expected(later, daysAgo(1), 1, 24 * HOUR)[0]!.success + 1);
  });
});

it("a webhook with no attempts has zero buckets", async () => {
  const org = await createOrganisation();
  const wh = await createWebhook(org.api_key);
  const { data } = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/stats/timeseries?bucket=hour`, { token: org.api_key });
  expect(data).toHaveLength(24);
  expect(data.every((p: any) => p.success === 0 && p.failed === 0 && p.median_response_time_ms === null)).toBe(true);
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { healthStub } from "../src/durable/health-client";
import { LATENCY_BOUNDS_MS, medianFromBuckets } from "../src/stats/latency";
import { activate, call, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { daysAgo, seed, type Seeded } from "./helpers/logs";
import { bucket, receiverUrl } from "./helpers/receivers";

const bucketOf = (ms: number) => LATENCY_BOUNDS_MS.filter((b) => b <= ms).length;

/** What the statistics must say about these attempts, worked out from the rows themselves. */
function expectedStats(rows: Seeded[]) {
  const counted = rows.filter((r) => r.test === 0 && r.status !== "skipped");
  const ok = counted.filter((r) => r.status === "success");
  const bad = counted.filter((r) => r.status !== "success");
  const latest = (list: Seeded[]) => (list.length ? new Date(Math.max(...list.map((r) => r.created_at))).toISOString() : null);
  const times = counted.map((r) => r.response_time_ms).filter((t): t is number => t !== null).sort((a, b) => a - b);
  const buckets = new Map<number, number>();
  for (const t of times) buckets.set(bucketOf(t), (buckets.get(bucketOf(t)) ?? 0) + 1);
  return {
    stats: {
      total_deliveries: counted.length,
      successful_deliveries: ok.length,
      failed_deliveries: bad.length,
      median_response_time_ms: medianFromBuckets([...buckets].map(([b, count]) => ({ bucket: b, count }))),
      success_rate: Math.round((ok.length / counted.length) * 10000) / 100,
      last_success_at: latest(ok),
      last_failure_at: latest(bad),
    },
    lowerMedian: times[Math.ceil(times.length / 2) - 1]!,
  };
}

describe("median estimate", () => {
  // The bounds documented in src/stats/read-stats.ts, for every whole millisecond up to 60 s.
  const allowed = (t: number) => (t < 10 ? 1 / Math.max(t, 1) : t < 60 ? 0.167 : t < 30_000 ? 0.155 : 0.225);
  it("is within the documented error of any single response time", () => {
    for (let t = 0; t < 60_000; t++) {
      const estimate = medianFromBuckets([{ bucket: bucketOf(t), count: 1 }])!;
      const error = Math.abs(estimate - t) / Math.max(t, 1);
      if (error > allowed(t)) expect.fail(`${t} ms estimated as ${estimate} ms: ${(error * 100).toFixed(1)}%`);
    }
  });

  it("picks the bucket of the lower median", () => {
    expect(medianFromBuckets([])).toBeNull();
    // 10, 10, 1000: the median is 10.
    expect(medianFromBuckets([{ bucket: bucketOf(10), count: 2 }, { bucket: bucketOf(1000), count: 1 }])).toBe(11);
    // 10, 1000: the lower median is 10.
    expect(medianFromBuckets([{ bucket: bucketOf(1000), count: 1 }, { bucket: bucketOf(10), count: 1 }])).toBe(11);
  });
});

describe("webhook statistics", () => {
  it("are empty before the first attempt", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    expect(await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/stats`, { token: org.api_key })).toEqual({
      total_deliveries: 0,
      successful_deliveries: 0,
      failed_deliveries: 0,
      median_response_time_ms: null,
      success_rate: null,
      last_success_at: null,
      last_failure_at: null,
    });
  });

  it("count every logged attempt but test sends and skips, and agree with the webhook list", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    const rows = await seed({ organisationId: org.id, webhookId: wh.id, tag: "st", count: 1000, start: daysAgo(2), stepMs: 7_000 });
    const { stats, lowerMedian } = expectedStats(rows);
    const got = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/stats`, { token: org.api_key });
    expect(got).toEqual(stats);
    expect(got.total_deliveries).toBeLessThan(1000); // the pattern has test sends and skips
    expect(Math.abs(got.median_response_time_ms - lowerMedian) / lowerMedian).toBeLessThanOrEqual(0.155);

    // The list's summary is written by the webhook's head, SUMMARY_REFRESH_MS after a partition
    // tells it of activity; the seed writes the partitions directly, so the test tells it, as
    // record() does (the test below follows the real path).
    await healthStub(env, org.id, wh.id).noteActivity(org.id, wh.id);
    const lastTriggered = new Date(Math.max(Date.parse(got.last_success_at), Date.parse(got.last_failure_at))).toISOString();
    const summary = (w: { success_rate: number | null; last_triggered_at: string | null }) => ({ success_rate: w.success_rate, last_triggered_at: w.last_triggered_at });
    const one = await waitFor(async () => {
      const w = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key });
      return w.last_triggered_at === lastTriggered ? w : undefined;
    });
    const listed = (await expectStatus(200, "GET", `/v1/webhooks?limit=100`, { token: org.api_key })).data.find((w: { id: string }) => w.id === wh.id);
    for (const w of [one, listed]) expect(summary(w)).toEqual({ success_rate: got.success_rate, last_triggered_at: lastTriggered });
  });

  it("follow real deliveries", async () => {
    const org = await createOrganisation();
    const b = bucket("stats");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b) });
    await activate(org.api_key, wh.id);
    expect((await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted })).status).toBe(202);
    const got = await waitFor(async () => {
      const s = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}/stats`, { token: org.api_key });
      return s.total_deliveries === 1 ? s : undefined;
    });
    expect(got).toMatchObject({ successful_deliveries: 1, failed_deliveries: 0, success_rate: 100, last_failure_at: null });
    expect(got.median_response_time_ms).toEqual(expect.any(Number));
    expect(Date.parse(got.last_success_at)).toBeGreaterThan(Date.now() - 60_000);
    // The partition tells the head, whose summary the webhook list shows.
    const listed = await waitFor(async () => {
      const w = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key });
      return w.success_rate === 100 ? w : undefined;
    });
    expect(listed.last_triggered_at).toBe(got.last_success_at);
  });

  it("answer 404 for another organisation's webhook, 401 without a key", async () => {
    const owner = await createOrganisation();
    const wh = await createWebhook(owner.api_key);
    const stranger = await createOrganisation();
    const res = await call("GET", `/v1/webhooks/${wh.id}/stats`, { token: stranger.api_key });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("NOT_FOUND");
    expect((await call("GET", `/v1/webhooks/${wh.id}/stats`)).status).toBe(401);
  });
});

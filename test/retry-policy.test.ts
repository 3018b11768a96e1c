/** The retry schedule as a pure function: known answers, and the jitter's bounds over many draws. */
import { describe, expect, it } from "vitest";
import { decide, DEFAULT_RETRY_SCHEDULE, MAX_RETRY_DELAY_S, readSchedule, retryDelayMs, type Outcome } from "../src/delivery/retry-policy";

const http = (statusCode: number, retryAfterMs?: number): Outcome => ({
  ok: false, statusCode, responseTimeMs: 5, errorCode: statusCode >= 500 ? "http_5xx" : "http_4xx", error: "x", retryAfterMs,
});
const draws = (n: number) => Array.from({ length: n }, (_, i) => i / (n - 1)); // 0 … 1, ends included

describe("retryDelayMs", () => {
  it("keeps the product document's default: 2 s after the first attempt, 4 s after the second, then no more", () => {
    expect(DEFAULT_RETRY_SCHEDULE).toEqual([2, 4]);
    expect([1, 2, 3].map((n) => retryDelayMs(DEFAULT_RETRY_SCHEDULE, n))).toEqual([2000, 4000, null]);
  });

  it("leaves delays under a minute exact, whatever the draw", () => {
    for (const r of draws(101)) expect(retryDelayMs([1, 30, 59], 3, () => r)).toBe(59_000);
  });

  it("keeps a 60 s delay within 54 to 66 s over 10,000 draws, and uses the whole range", () => {
    const seen = Array.from({ length: 10_000 }, () => retryDelayMs([60], 1)!);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(54_000);
    expect(Math.max(...seen)).toBeLessThanOrEqual(66_000);
    // Spread, not a constant: both ends of the band are reached within a second.
    expect(Math.min(...seen)).toBeLessThan(55_000);
    expect(Math.max(...seen)).toBeGreaterThan(65_000);
  });

  it("answers the band's ends and middle for known draws", () => {
    expect([0, 0.5, 1].map((r) => retryDelayMs([60], 1, () => r))).toEqual([54_000, 60_000, 66_000]);
    expect([0, 0.5, 1].map((r) => retryDelayMs([3600], 1, () => r))).toEqual([3_240_000, 3_600_000, 3_960_000]);
  });

  it("never goes past the queue's longest delay, 43,200 s", () => {
    for (const r of draws(1001)) {
      const ms = retryDelayMs([MAX_RETRY_DELAY_S], 1, () => r)!;
      expect(ms).toBeLessThanOrEqual(43_200_000);
      expect(ms).toBeGreaterThanOrEqual(38_880_000);
    }
  });
});

describe("decide", () => {
  it("retries on the schedule's delays and fails after its last", () => {
    const schedule = [1, 3];
    expect(decide(http(500), 1, null, schedule)).toEqual({ status: "retrying", delayMs: 1000 });
    expect(decide(http(500), 2, null, schedule)).toEqual({ status: "retrying", delayMs: 3000 });
    expect(decide(http(500), 3, null, schedule)).toEqual({ status: "failed" });
  });

  it("with an empty schedule, one attempt", () => {
    expect(decide(http(503), 1, null, [])).toEqual({ status: "failed" });
  });

  it("still honours Retry-After on a 429 up to 60 s, and the schedule when it asks longer", () => {
    expect(decide(http(429, 30_000), 1, null, [2])).toEqual({ status: "retrying", delayMs: 30_000 });
    expect(decide(http(429, 600_000), 1, null, [2])).toEqual({ status: "retrying", delayMs: 60_000 });
    expect(decide(http(429, 30_000), 1, null, [120], () => 0.5)).toEqual({ status: "retrying", delayMs: 120_000 });
  });

  it("does not retry a 410, nor a resent delivery's last attempt", () => {
    expect(decide(http(410), 1, null, [2, 4])).toEqual({ status: "failed" });
    expect(decide(http(500), 4, 4, [2, 4, 8, 16, 32])).toEqual({ status: "failed" });
  });
});

describe("readSchedule", () => {
  it("reads a stored schedule, and falls back to the default on anything else", () => {
    expect(readSchedule("[1,3]")).toEqual([1, 3]);
    expect(readSchedule("[]")).toEqual([]);
    for (const bad of [null, "", "{}", "[0]", "[1.5]", '["2"]', "[43201]"]) expect(readSchedule(bad)).toEqual([2, 4]);
  });
});

/**
 * Known answers for what the dashboard says: the test results in the product document's words
 * (each of the API's five results), and the short forms of URLs, times and rates. Runs in Node
 * with the browser tests (test/browser/vitest.config.ts); type-checked with the dashboard.
 */
import { describe, expect, it } from "vitest";
import { describeResult } from "./dialogs/test-event";
import { ms, percent, shortUrl } from "./format";
import type { TestResult } from "./types";

const result = (r: Partial<TestResult>): TestResult => ({ result: "success", status_code: 200, response_time_ms: 200, error: null, event: "verification.completed", ...r });

describe("test results in the product document's words", () => {
  it.each([
    ["✅ Success (200ms) - Webhook endpoint responded correctly", result({}), true],
    ["❌ Failed (HTTP 500) - Server error", result({ result: "failed", status_code: 500, error: "Endpoint answered HTTP 500" }), false],
    ["❌ Failed (HTTP 404) - Client error", result({ result: "failed", status_code: 404 }), false],
    ["❌ Failed (HTTP 302) - Unexpected answer", result({ result: "failed", status_code: 302 }), false],
    ["❌ TLS verification failed - Certificate issue", result({ result: "tls_error", status_code: null, error: "certificate not trusted" }), false],
    ["⏱️ Timeout (30s) - Endpoint too slow", result({ result: "timeout", status_code: null, response_time_ms: 30_004 }), false],
    ["⏱️ Timeout (1.5s) - Endpoint too slow", result({ result: "timeout", status_code: null, response_time_ms: 1_503 }), false],
    ["❌ Connection failed - Endpoint not reachable", result({ result: "connection_error", status_code: null, error: "connection refused" }), false],
  ] as const)("%s", (headline, r, ok) => {
    expect(describeResult(r)).toEqual({ ok, headline, detail: r.result === "success" ? null : r.error });
  });
});

describe("short forms", () => {
  it("cuts the middle out of a long URL and drops the scheme", () => {
    expect(shortUrl("https://api.myapp.com/webhooks/nafsi")).toBe("api.myapp.com/webhooks/nafsi");
    const long = shortUrl("https://api.myapp.com/webhooks/nafsi/production/verification/events");
    expect(long).toBe("api.myapp.com/webhooks/n…fication/events");
    expect(long.length).toBe(40);
  });

  it("writes times in ms below a second and rates without needless decimals", () => {
    expect([ms(null), ms(12), ms(12.4), ms(999), ms(1500)]).toEqual(["—", "12 ms", "12 ms", "999 ms", "1.50 s"]);
    expect([percent(null), percent(100), percent(25), percent(97.53)]).toEqual(["—", "100%", "25%", "97.5%"]);
  });
});

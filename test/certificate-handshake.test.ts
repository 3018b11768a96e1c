import { describe, expect, it } from "vitest";
import { verdictFromError, verdictFromStatus } from "../src/certificates/handshake";

describe("handshake verdicts", () => {
  it("take any HTTP answer as a completed handshake, 4xx and 5xx included", () => {
    for (const status of [200, 204, 301, 401, 404, 405, 500, 503]) expect(verdictFromStatus(status, "h").ok).toBe(true);
  });

  it("read the edge's own answers: 525/526 TLS refused, 521/523 not reachable, 522 timed out", () => {
    expect(verdictFromStatus(526, "api.myapp.com")).toMatchObject({ ok: false, error_code: "tls_refused", error: expect.stringMatching(/^The TLS handshake with api.myapp.com failed \(HTTP 526\)/) });
    expect(verdictFromStatus(525, "h").error_code).toBe("tls_refused");
    expect(verdictFromStatus(521, "h").error_code).toBe("not_reachable");
    expect(verdictFromStatus(523, "h").error_code).toBe("not_reachable");
    expect(verdictFromStatus(522, "h").error_code).toBe("timeout");
  });

  it("class thrown errors: abort is a timeout, certificate trouble is TLS, the rest not reachable", () => {
    expect(verdictFromError(new Error("The operation was aborted"), true, 30_000, "h")).toMatchObject({ error_code: "timeout", error: expect.stringMatching(/^h did not answer within 30 s/) });
    expect(verdictFromError(new Error("unable to verify the first certificate"), false, 30_000, "h").error_code).toBe("tls_refused");
    expect(verdictFromError(new Error("Network connection lost."), false, 30_000, "h")).toMatchObject({
      error_code: "not_reachable",
      error: expect.stringMatching(/^h could not be reached: Connection failed: Network connection lost\. Check the URL.*firewall/),
    });
  });
});

import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { EVENT_NAMES } from "../src/catalogue";
import { testResult } from "../src/routes/test-event";
import { EVENT_SAMPLES } from "../src/samples";
import { EVENT_DATA_SCHEMAS, EventIn } from "../src/schemas/event";
import { activate, call, createOrganisation, createWebhook, expectStatus } from "./helpers/api";
import { deliveryState } from "./helpers/db";
import { bucket, received, receiverUrl, verifyAtReceiver } from "./helpers/receivers";

let org: Awaited<ReturnType<typeof createOrganisation>>;
beforeAll(async () => {
  org = await createOrganisation();
});

const sendTest = (id: string, body: unknown = { event: "verification.completed" }) => call("POST", `/v1/webhooks/${id}/test`, { token: org.api_key, body });
const logs = (id: string) => expectStatus(200, "GET", `/v1/webhooks/${id}/logs`, { token: org.api_key });
const stats = (id: string) => expectStatus(200, "GET", `/v1/webhooks/${id}/stats`, { token: org.api_key });
const streak = (id: string) => env.DB.prepare("SELECT failure_streak FROM webhooks WHERE id = ?").bind(id).first<number>("failure_streak");

describe("POST /v1/webhooks/{id}/test", () => {
  it("sends a signed sample over mTLS to an inactive webhook, logs it as a test and leaves the stats alone", async () => {
    const b = bucket("test-ok");
    const secret = "whsec_" + btoa("0123456789abcdef0123456789abcdef");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("mtls", b), secret, headers: [{ name: "X-API-Version", value: "v1" }] });
    expect(wh.status).toBe("inactive");

    const res = await sendTest(wh.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ result: "success", status_code: 200, error: null, event: "verification.completed" });
    expect(res.body.response_time_ms).toEqual(expect.any(Number));

    const [got] = await received(b);
    expect(got).toMatchObject({ method: "POST", tls: true, client_cert_subject: "nafsi-webhooks-client" });
    expect(got!.headers).toMatchObject({
      "x-nafsi-event": "verification.completed",
      "x-webhook-id": wh.id,
      "x-delivery-id": res.body.delivery_id,
      "x-api-version": "v1",
      "user-agent": "Nafsi-Webhooks/1.0",
    });
    const sent = JSON.parse(got!.body);
    expect(Object.keys(sent)).toEqual(["event", "event_id", "timestamp", "organisation_id", "data", "test"]);
    expect(sent).toMatchObject({ event: "verification.completed", event_id: res.body.event_id, organisation_id: org.id, test: true, data: EVENT_SAMPLES["verification.completed"] });
    expect(await verifyAtReceiver(b, 0, secret)).toEqual({ doc: true, standard: true, node: true, python: true });

    const log = await logs(wh.id);
    expect(log.data).toEqual([
      expect.objectContaining({ delivery_id: res.body.delivery_id, event_id: res.body.event_id, event: "verification.completed", attempt: 1, status: "success", response_code: 200, test: true }),
    ]);
    expect(await stats(wh.id)).toMatchObject({ total_deliveries: 0 });
  });

  it("answers failed with the status code, without retrying or counting a failure", async () => {
    const b = bucket("test-500");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("mtls", b, "status/500") });
    await activate(org.api_key, wh.id);
    const res = await sendTest(wh.id, { event: "units.low_balance" });
    expect(res.body).toMatchObject({ result: "failed", status_code: 500, error: "Endpoint answered HTTP 500" });
    // A real delivery would be retried 2 s later; a test is not.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await received(b)).toHaveLength(1);
    expect(await streak(wh.id)).toBe(0);
    expect((await logs(wh.id)).data).toEqual([expect.objectContaining({ status: "failed", response_code: 500, error_code: "http_5xx", test: true })]);
    const delivery = await deliveryState(wh.id, res.body.delivery_id);
    expect(delivery).toMatchObject({ status: "failed", test: 1, call: 1, attempts: 1, next_attempt_at: null });
  });

  it("answers tls_error when the endpoint's certificate is not trusted", async () => {
    const wh = await createWebhook(org.api_key, { url: receiverUrl("untrusted", bucket("test-tls")) });
    const res = await sendTest(wh.id);
    expect(res.body).toMatchObject({ result: "tls_error", status_code: 526 });
    expect(res.body.error).toMatch(/TLS handshake/);
  });

  it("answers timeout when the endpoint does not answer in time", async () => {
    const wh = await createWebhook(org.api_key, { url: receiverUrl("mtls", bucket("test-hang"), "hang") });
    const res = await sendTest(wh.id);
    expect(res.body).toMatchObject({ result: "timeout", status_code: null, error: "No answer within 1.5 s" });
  });

  it("answers connection_error when nothing listens", async () => {
    const wh = await createWebhook(org.api_key, { url: "http://127.0.0.1:1/webhooks/nafsi" });
    const res = await sendTest(wh.id);
    expect(res.body).toMatchObject({ result: "connection_error" });
  });

  it("works for a paused webhook, and sends a sample check to a verification check webhook", async () => {
    const b = bucket("test-check");
    const wh = await createWebhook(org.api_key, { type: "verification_check", events: undefined, url: receiverUrl("mtls", b) });
    await activate(org.api_key, wh.id);
    await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/pause`, { token: org.api_key });
    const res = await sendTest(wh.id, {});
    expect(res.body).toMatchObject({ result: "success", event: "verification.check" });
    const sent = JSON.parse((await received(b))[0]!.body);
    expect(sent).toMatchObject({ event: "verification.check", test: true, data: { verification_id: "test_ver_123" } });
  });

  it.each([
    [{}, "event", /is required/],
    [{ event: "verification.exploded" }, "event", /catalogue/],
    [{ event: 5 }, "event", /must be an event name/],
    [{ event: "verification.completed", extra: 1 }, "extra", /unknown field/],
  ])("refuses %j with a 400 naming %s", async (body, path, message) => {
    const b = bucket("test-bad");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("mtls", b) });
    const res = await sendTest(wh.id, body);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path, message: expect.stringMatching(message) }]);
    expect(await received(b)).toEqual([]);
  });

  it("refuses another event than verification.check for a check webhook", async () => {
    const wh = await createWebhook(org.api_key, { type: "verification_check", events: undefined, url: receiverUrl("mtls", bucket("t")) });
    const res = await sendTest(wh.id, { event: "verification.completed" });
    expect(res.body.error.details).toEqual([{ path: "event", message: expect.stringMatching(/must be verification.check/) }]);
  });

  it("answers 404 for another organisation's webhook, 401 without a key", async () => {
    const other = await createOrganisation();
    const b = bucket("test-404");
    const wh = await createWebhook(other.api_key, { url: receiverUrl("mtls", b) });
    expect((await sendTest(wh.id)).status).toBe(404);
    expect((await call("POST", `/v1/webhooks/${wh.id}/test`, { body: { event: "verification.completed" } })).status).toBe(401);
    expect(await received(b)).toEqual([]);
  });
});

describe("test results and samples", () => {
  it("map outcomes onto the product document's results", () => {
    const o = (errorCode: string | null, ok = false) => ({ ok, statusCode: null, responseTimeMs: 1, errorCode, error: null }) as never;
    expect(testResult(o(null, true))).toBe("success");
    expect(testResult(o("tls"))).toBe("tls_error");
    expect(testResult(o("timeout"))).toBe("timeout");
    expect(testResult(o("connection"))).toBe("connection_error");
    for (const code of ["http_4xx", "http_5xx", "http_3xx", "url_forbidden", "secret_unavailable"]) expect(testResult(o(code))).toBe("failed");
  });

  it("have a sample for every catalogue event that passes ingest's validation", () => {
    for (const event of EVENT_NAMES) {
      const parsed = EventIn.safeParse({ event, organisation_id: 1, data: EVENT_SAMPLES[event] });
      expect(parsed.success, `${event}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
    expect(Object.keys(EVENT_DATA_SCHEMAS).length).toBeGreaterThan(0);
  });
});

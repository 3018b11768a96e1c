import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { activate, call, createOrganisation, createWebhook, expectStatus, INGEST_TOKEN } from "./helpers/api";
import { bucket, received, receiverUrl, verifyAtReceiver } from "./helpers/receivers";

let org: Awaited<ReturnType<typeof createOrganisation>>;
beforeAll(async () => {
  org = await createOrganisation();
});

const b64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
/** A receiver (mTLS) that answers this JSON. */
const answering = (b: string, value: unknown) => receiverUrl("mtls", b, `json/${b64url(JSON.stringify(value))}`);

const requestSchema = {
  type: "object",
  required: ["image_url", "customer_id"],
  properties: { image_url: { type: "string", pattern: "^https://" }, customer_id: { type: "string" }, age: { type: "integer", minimum: 18 } },
};
const responseSchema = {
  type: "object",
  required: ["success", "score", "data"],
  properties: { data: { type: "object", required: ["result"], properties: { result: { enum: ["approved", "rejected"] } } } },
};
const input = { image_url: "https://img.example.com/face.jpg", customer_id: "cust_123" };

async function checkWebhook(url: string, criteria: Record<string, unknown> = {}, opts: { activate?: boolean; secret?: string } = {}) {
  const wh = await createWebhook(org.api_key, { type: "verification_check", events: undefined, url, criteria, ...(opts.secret ? { secret: opts.secret } : {}) });
  if (opts.activate !== false) await activate(org.api_key, wh.id);
  return wh;
}
const check = (webhookId: string, body: Record<string, unknown> = {}, token: string | null = INGEST_TOKEN) =>
  call("POST", "/v1/checks", { token, body: { organisation_id: org.id, webhook_id: webhookId, input, ...body } });
const streak = (id: string) => env.DB.prepare("SELECT failure_streak FROM webhooks WHERE id = ?").bind(id).first<number>("failure_streak");
const logs = (id: string) => expectStatus(200, "GET", `/v1/webhooks/${id}/logs`, { token: org.api_key });
const stats = (id: string) => expectStatus(200, "GET", `/v1/webhooks/${id}/stats`, { token: org.api_key });

describe("POST /v1/checks", () => {
  it("calls the endpoint signed and over mTLS, and passes an answer that meets the criteria", async () => {
    const b = bucket("chk-pass");
    const secret = "sk_webhook_abc123xyz789";
    const answer = { success: true, score: 0.92, data: { result: "approved", reason: "Face match successful" } };
    const wh = await checkWebhook(answering(b, answer), { request_schema: requestSchema, response_schema: responseSchema }, { secret });

    const res = await check(wh.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      passed: true, success: true, score: 0.92, threshold: 0.85, reason: null, data: answer.data, status_code: 200, error_code: null,
    });
    expect(res.body.response_time_ms).toEqual(expect.any(Number));

    const [got] = await received(b);
    expect(got).toMatchObject({ method: "POST", tls: true, client_cert_subject: "nafsi-webhooks-client" });
    expect(got!.headers).toMatchObject({ "x-nafsi-event": "verification.check", "x-webhook-id": wh.id, "x-delivery-id": res.body.check_id });
    expect(JSON.parse(got!.body)).toEqual({ event: "verification.check", event_id: res.body.event_id, timestamp: expect.any(String), organisation_id: org.id, data: input });
    expect((await verifyAtReceiver(b, 0, secret)).doc).toBe(true);

    expect((await logs(wh.id)).data).toEqual([
      expect.objectContaining({ delivery_id: res.body.check_id, event: "verification.check", status: "success", response_code: 200, test: false }),
    ]);
    expect(await stats(wh.id)).toMatchObject({ total_deliveries: 1, successful_deliveries: 1 });
  });

  it("does not pass a score below the threshold: a verdict, not a failure", async () => {
    const wh = await checkWebhook(answering(bucket("chk-low"), { success: true, score: 0.62, data: { result: "rejected" } }), { min_score: 0.75 });
    const res = await check(wh.id);
    expect(res.body).toMatchObject({ passed: false, success: true, score: 0.62, threshold: 0.75, reason: "Score 0.62 is below the threshold 0.75", error_code: null });
    expect(await streak(wh.id)).toBe(0);
    expect((await logs(wh.id)).data[0]).toMatchObject({ status: "success" });
  });

  it("does not pass an answer without the required success field", async () => {
    const wh = await checkWebhook(receiverUrl("mtls", bucket("chk-nosuccess")));
    const res = await check(wh.id);
    expect(res.body).toMatchObject({ passed: false, reason: "The answer has no success field, which the criteria require", error_code: null });
  });

  it("fails an answer against the response schema, saying where, and counts it as a failure", async () => {
    const wh = await checkWebhook(answering(bucket("chk-schema"), { success: true, score: 0.99, data: { verdict: "ok" } }), { response_schema: responseSchema });
    const res = await check(wh.id);
    expect(res.body).toMatchObject({ passed: false, error_code: "invalid_response", status_code: 200, data: null });
    expect(res.body.reason).toBe("The answer does not match the response schema: response.data.result: is required");
    expect(await streak(wh.id)).toBe(1);
    expect((await logs(wh.id)).data[0]).toMatchObject({ status: "failed", error_code: "invalid_response" });
  });

  it("refuses input against the request schema with 400 listing every error, and calls nobody", async () => {
    const b = bucket("chk-input");
    const wh = await checkWebhook(receiverUrl("mtls", b), { request_schema: requestSchema });
    const res = await check(wh.id, { input: { image_url: "http://img.example.com/x.jpg", age: 12 } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([
        { path: "input.customer_id", message: "is required" },
        { path: "input.image_url", message: "String does not match pattern" },
        { path: "input.age", message: "12 is less than 18" },
      ]),
    );
    expect(res.body.error.details).toHaveLength(3);
    expect(await received(b)).toEqual([]);
    expect((await logs(wh.id)).data).toEqual([]);
  });

  it.each([
    ["a slow endpoint", "slow/3000", "timeout", /No answer within 1.5 s/],
    ["a 503", "status/503", "http_5xx", /HTTP 503/],
  ])("fails on %s with its error class, logs it and counts it", async (_what, behaviour, code, message) => {
    const wh = await checkWebhook(receiverUrl("mtls", bucket("chk-fail"), behaviour));
    const res = await check(wh.id);
    expect(res.body).toMatchObject({ passed: false, error_code: code, success: null, score: null });
    expect(res.body.reason).toMatch(/^The check could not be made: /);
    expect(res.body.reason).toMatch(message);
    expect(await streak(wh.id)).toBe(1);
    expect((await logs(wh.id)).data[0]).toMatchObject({ status: "failed", error_code: code, test: false });
    expect(await stats(wh.id)).toMatchObject({ total_deliveries: 1, failed_deliveries: 1 });
  });

  it("fails with tls when the endpoint's certificate is not trusted", async () => {
    const wh = await checkWebhook(receiverUrl("untrusted", bucket("chk-tls")));
    const res = await check(wh.id);
    expect(res.body).toMatchObject({ passed: false, error_code: "tls" });
  });

  it("resets the failure streak on a successful call, and pauses the webhook after 10 failed ones", async () => {
    const b = bucket("chk-streak");
    const failing = receiverUrl("mtls", b, "status/500");
    const wh = await checkWebhook(failing);
    await check(wh.id);
    expect(await streak(wh.id)).toBe(1);
    await expectStatus(200, "PATCH", `/v1/webhooks/${wh.id}`, { token: org.api_key, body: { url: answering(b, { success: true, score: 0.1 }) } });
    expect((await check(wh.id)).body.passed).toBe(false);
    expect(await streak(wh.id)).toBe(0);

    await expectStatus(200, "PATCH", `/v1/webhooks/${wh.id}`, { token: org.api_key, body: { url: failing } });
    for (let i = 0; i < 10; i++) expect((await check(wh.id)).body.error_code).toBe("http_5xx");
    const after = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key });
    expect(after).toMatchObject({ status: "paused", paused_reason: expect.stringMatching(/10 consecutive failed/) });
    const refused = await check(wh.id);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/is paused \(Paused automatically after 10 consecutive failed deliveries\): fix the endpoint, then resume it/);
  });

  it("refuses an inactive check webhook, an event webhook, another organisation's, and a bad caller", async () => {
    const b = bucket("chk-refuse");
    const inactive = await checkWebhook(receiverUrl("mtls", b), {}, { activate: false });
    const res = await check(inactive.id);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(`The check webhook ${inactive.id} is inactive: activate it first (POST /v1/webhooks/${inactive.id}/activate)`);

    const events = await createWebhook(org.api_key, { url: receiverUrl("mtls", b) });
    await activate(org.api_key, events.id);
    expect((await check(events.id)).body.error.details).toEqual([{ path: "webhook_id", message: expect.stringMatching(/must be a verification_check webhook/) }]);

    const other = await createOrganisation();
    const theirs = await createWebhook(other.api_key, { type: "verification_check", events: undefined, url: receiverUrl("mtls", b) });
    await activate(other.api_key, theirs.id);
    expect((await check(theirs.id)).status).toBe(404);
    expect((await check(inactive.id, {}, org.api_key)).status).toBe(401);
    expect((await check(inactive.id, {}, null)).status).toBe(401);
    expect(await received(b)).toEqual([]);
  });

  it("answers 422 and sends nothing when the stored request schema cannot be used", async () => {
    const b = bucket("chk-badschema");
    const wh = await checkWebhook(receiverUrl("mtls", b));
    const criteria = { require_success: true, require_score: true, min_score: 0.85, request_schema: { $ref: "#/nope" }, response_schema: null };
    await env.DB.prepare("UPDATE webhooks SET criteria = ? WHERE id = ?").bind(JSON.stringify(criteria), wh.id).run();
    const res = await check(wh.id);
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(/^The webhook's request_schema cannot be used \(Unresolved \$ref "#\/nope"\.[^)]*\): fix it with PATCH/);
    expect(await received(b)).toEqual([]);
  });

  it("refuses a body that is not a check request, naming each field", async () => {
    const res = await call("POST", "/v1/checks", { token: INGEST_TOKEN, body: { organisation_id: "18", input: [1] } });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["input", "organisation_id", "webhook_id"]);
  });
});

describe("checks over RPC (EventsRpc.check)", () => {
  it("answers like POST /v1/checks and refuses the same input", async () => {
    const wh = await checkWebhook(answering(bucket("chk-rpc"), { success: true, score: 0.9, data: { result: "approved" } }), { request_schema: requestSchema });
    const rpc = exports.EventsRpc;
    const answer = await rpc.check({ organisation_id: org.id, webhook_id: wh.id, input });
    expect(answer).toMatchObject({ passed: true, score: 0.9, data: { result: "approved" } });
    const refused = await Promise.resolve(rpc.check({ organisation_id: org.id, webhook_id: wh.id, input: { customer_id: "c" } })).then(
      () => null,
      (err: Error) => JSON.parse(err.message),
    );
    expect(refused.error).toMatchObject({ code: "VALIDATION_FAILED", details: [{ path: "input.image_url", message: "is required" }] });
  });
});

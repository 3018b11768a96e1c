import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { call, createOrganisation, createWebhook, expectStatus } from "./helpers/api";
import { bucket, received, receiverUrl } from "./helpers/receivers";

const certs = inject("certs");

let org: Awaited<ReturnType<typeof createOrganisation>>;
beforeAll(async () => {
  org = await createOrganisation();
});

const put = (id: string, body: unknown, token = org.api_key) => call("PUT", `/v1/webhooks/${id}/certificate`, { token, body });
const validateCert = (id: string, body: unknown = {}) => call("POST", `/v1/webhooks/${id}/certificate/validate`, { token: org.api_key, body });
const stored = (id: string) =>
  env.DB.prepare("SELECT certificate_pem, certificate FROM webhooks WHERE id = ?").bind(id).first<{ certificate_pem: string | null; certificate: string | null }>();

describe("PUT /v1/webhooks/{id}/certificate", () => {
  it("stores a PEM CA certificate and answers its details, shown on the webhook too", async () => {
    const wh = await createWebhook(org.api_key);
    const res = await put(wh.id, { pem: certs.valid });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      subject: "CN=Acme Webhook Root CA,O=Acme Ltd,C=KE",
      issuer: "CN=Acme Webhook Root CA,O=Acme Ltd,C=KE",
      serial: certs.validView.serial,
      fingerprint_sha256: certs.validView.fingerprint,
      not_before: expect.any(String),
      not_after: certs.validView.notAfter,
      expires_in_days: 365,
      is_ca: true,
      expiry_warning: false,
      chain_length: 1,
    });
    const again = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key });
    expect(again.certificate).toMatchObject({ fingerprint_sha256: certs.validView.fingerprint, expires_in_days: 365 });
    expect((await stored(wh.id))!.certificate_pem).toBe(certs.valid);
  });

  it("accepts a chain and describes its first certificate", async () => {
    const wh = await createWebhook(org.api_key);
    const body = await expectStatus(200, "PUT", `/v1/webhooks/${wh.id}/certificate`, { token: org.api_key, body: { pem: certs.chain } });
    expect(body).toMatchObject({ subject: "CN=Acme Intermediate CA,O=Acme Ltd", chain_length: 2, fingerprint_sha256: certs.chainIntermediateView.fingerprint });
  });

  it("warns about a certificate expiring in 10 days", async () => {
    const wh = await createWebhook(org.api_key);
    const body = await expectStatus(200, "PUT", `/v1/webhooks/${wh.id}/certificate`, { token: org.api_key, body: { pem: certs.expiring10Days } });
    expect(body).toMatchObject({ expires_in_days: 10, expiry_warning: true });
  });

  it.each([
    ["DER as base64", () => certs.derBase64, /openssl x509 -inform der -in ca\.der -out ca\.pem/],
    ["DER bytes as text", () => certs.derAsText, /binary data.*openssl x509 -inform der/],
    ["garbage", () => certs.garbage, /not a PEM certificate: send the certificate's text, from -----BEGIN CERTIFICATE-----/],
    ["a private key", () => certs.privateKey, /private key/],
    ["a signing request", () => certs.csr, /signing request/],
    ["an empty text", () => "", /is empty/],
    ["an oversized text", () => certs.valid.repeat(120), /more than the 65536 allowed/],
    ["not a string", () => 42, /must be a string/],
  ])("answers 400 naming pem for %s, and stores nothing", async (_what, pem, message) => {
    const wh = await createWebhook(org.api_key);
    const res = await put(wh.id, { pem: pem() });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(res.body.error.details).toEqual([{ path: "pem", message: expect.stringMatching(message) }]);
    expect(await stored(wh.id)).toEqual({ certificate_pem: null, certificate: null });
  });

  it("answers 400 for an empty body, saying what to send", async () => {
    const wh = await createWebhook(org.api_key);
    const res = await call("PUT", `/v1/webhooks/${wh.id}/certificate`, { token: org.api_key });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: "pem", message: expect.stringContaining('is required: send {"pem": "-----BEGIN CERTIFICATE-----') }]);
  });

  it("answers 413 for a body past the request limit", async () => {
    const wh = await createWebhook(org.api_key);
    const res = await put(wh.id, { pem: "x".repeat(300 * 1024) });
    expect(res.status).toBe(413);
  });

  it.each([
    ["expired", () => certs.expired, /expired on \d{4}-\d\d-\d\d, 35 days ago: renew it/],
    ["not yet valid", () => certs.notYetValid, /is not valid until/],
    ["a chain with an expired certificate", () => certs.chainWithExpired, /^Certificate 2 of 2/],
  ])("answers 422 for a certificate that is %s, and keeps the one stored before", async (_what, pem, message) => {
    const wh = await createWebhook(org.api_key);
    await expectStatus(200, "PUT", `/v1/webhooks/${wh.id}/certificate`, { token: org.api_key, body: { pem: certs.valid } });
    const res = await put(wh.id, { pem: pem() });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: "UNPROCESSABLE", message: expect.stringMatching(message), details: [{ path: "pem" }] });
    expect((await stored(wh.id))!.certificate_pem).toBe(certs.valid);
  });

  it("answers 404 for another organisation's webhook and 401 without a key", async () => {
    const other = await createOrganisation();
    const wh = await createWebhook(other.api_key);
    expect((await put(wh.id, { pem: certs.valid })).status).toBe(404);
    expect((await put(wh.id, { pem: certs.valid }, "")).status).toBe(401);
    expect(await stored(wh.id)).toEqual({ certificate_pem: null, certificate: null });
  });

  it("DELETE removes it", async () => {
    const wh = await createWebhook(org.api_key);
    await expectStatus(200, "PUT", `/v1/webhooks/${wh.id}/certificate`, { token: org.api_key, body: { pem: certs.valid } });
    await expectStatus(204, "DELETE", `/v1/webhooks/${wh.id}/certificate`, { token: org.api_key });
    expect((await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key })).certificate).toBeNull();
  });
});

describe("POST /v1/webhooks/{id}/certificate/validate", () => {
  const withCert = async (url: string, pem = certs.valid) => {
    const wh = await createWebhook(org.api_key, { url });
    await expectStatus(200, "PUT", `/v1/webhooks/${wh.id}/certificate`, { token: org.api_key, body: { pem } });
    return wh;
  };

  it("answers like the product document after a real mTLS handshake", async () => {
    const b = bucket("hs");
    const wh = await withCert(receiverUrl("mtls", b));
    const res = await validateCert(wh.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      valid: true,
      message: "Certificate valid, expires in 365 days, no expiry warning",
      expires_in_days: 365,
      expiry_warning: false,
      details: { fingerprint_sha256: certs.validView.fingerprint },
      handshake: { ok: true, error: null, error_code: null, status_code: 200, client_certificate: true },
    });
    const [seen] = await received(b);
    expect(seen).toMatchObject({ method: "HEAD", tls: true, client_cert_subject: "nafsi-webhooks-client" });
  });

  it("reports the expiry warning", async () => {
    const wh = await withCert(receiverUrl("mtls", bucket("hs")), certs.expiring10Days);
    const res = await validateCert(wh.id);
    expect(res.body).toMatchObject({ valid: true, expires_in_days: 10, expiry_warning: true, message: "Certificate valid, expires in 10 days, expiry warning: renew it soon" });
  });

  it("says the TLS handshake was refused when the server's certificate is not trusted", async () => {
    const wh = await withCert(receiverUrl("untrusted", bucket("hs")));
    const res = await validateCert(wh.id);
    expect(res.body.valid).toBe(false);
    expect(res.body.handshake).toMatchObject({ ok: false, error_code: "tls_refused", error: expect.stringMatching(/must chain to a public CA/) });
    expect(res.body.message).toMatch(/^Certificate not valid: The TLS handshake with localhost:\d+ failed/);
    expect(res.body.details.fingerprint_sha256).toBe(certs.validView.fingerprint);
  });

  it("says the server is not reachable when nothing listens", async () => {
    // Port 1 on loopback: nothing listens, the connection is refused (the edge answers 521).
    const wh = await withCert("https://127.0.0.1:1/webhooks/nafsi");
    const res = await validateCert(wh.id);
    expect(res.body.valid).toBe(false);
    expect(res.body.handshake).toMatchObject({ ok: false, error_code: "not_reachable" });
  });

  it("says it timed out when the server never answers", async () => {
    const wh = await withCert(receiverUrl("mtls", bucket("hs"), "hang"));
    const res = await validateCert(wh.id);
    expect(res.body.handshake).toMatchObject({ ok: false, error_code: "timeout", error: expect.stringMatching(/did not answer within 1.5 s/) });
  });

  it("says there is no TLS to test on an http:// URL", async () => {
    const wh = await withCert(receiverUrl("http", bucket("hs")));
    const res = await validateCert(wh.id);
    expect(res.body).toMatchObject({ valid: false, handshake: { ok: false, error_code: "no_tls" } });
  });

  it("tries a candidate certificate without storing it, and refuses a DER one before any handshake", async () => {
    const b = bucket("hs");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("mtls", b) });
    const expired = await validateCert(wh.id, { pem: certs.expired });
    expect(expired.status).toBe(200);
    expect(expired.body).toMatchObject({ valid: false, expiry_warning: true, handshake: { ok: true } });
    expect(expired.body.message).toMatch(/^Certificate not valid: The certificate \(CN=Acme Expired CA,O=Acme Ltd\) expired on/);
    expect(expired.body.expires_in_days).toBeLessThan(0);
    expect(await received(b)).toHaveLength(1);
    const der = await validateCert(wh.id, { pem: certs.derBase64 });
    expect(der.status).toBe(400);
    expect(der.body.error.details[0].message).toMatch(/openssl x509 -inform der/);
    expect(await received(b)).toHaveLength(1);
    expect(await stored(wh.id)).toEqual({ certificate_pem: null, certificate: null });
  });

  it("answers 409 when there is no certificate to validate", async () => {
    const wh = await createWebhook(org.api_key);
    const res = await validateCert(wh.id);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/upload it first \(PUT \/v1\/webhooks\/wh_\w+\/certificate\)/);
  });
});

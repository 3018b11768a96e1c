/**
 * POST /v1/certificates/validate: a certificate tried against a URL before any webhook exists,
 * with the same checks and answer as a webhook's certificate/validate, against the real mTLS
 * receiver. Whatever the answer, nothing is written: D1's digest is the same after the call.
 */
import { beforeAll, describe, expect, inject, it } from "vitest";
import { call, createOrganisation } from "./helpers/api";
import { dbSnapshot } from "./helpers/db-snapshot";
import { bucket, received, receiverUrl } from "./helpers/receivers";

const certs = inject("certs");

let org: Awaited<ReturnType<typeof createOrganisation>>;
beforeAll(async () => {
  org = await createOrganisation();
});

/** The call, with D1 compared before and after it. */
async function tryCertificate(body: unknown, token: string | null = org.api_key) {
  const before = await dbSnapshot();
  const res = await call("POST", "/v1/certificates/validate", { token, body });
  expect(await dbSnapshot(), "D1 changed").toEqual(before);
  return res;
}

describe("POST /v1/certificates/validate", () => {
  it("answers like a webhook's validation after a real mTLS handshake, storing nothing", async () => {
    const b = bucket("try");
    const res = await tryCertificate({ pem: certs.valid, url: receiverUrl("mtls", b) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      valid: true,
      message: "Certificate valid, expires in 365 days, no expiry warning",
      expires_in_days: 365,
      expiry_warning: false,
      details: expect.objectContaining({ subject: "CN=Acme Webhook Root CA,O=Acme Ltd,C=KE", fingerprint_sha256: certs.validView.fingerprint }),
      handshake: { ok: true, error: null, error_code: null, status_code: 200, response_time_ms: expect.any(Number), client_certificate: true },
    });
    const [seen] = await received(b);
    expect(seen).toMatchObject({ method: "HEAD", tls: true, client_cert_subject: "nafsi-webhooks-client" });
  });

  it("says an expired certificate is not valid, with the handshake tried all the same", async () => {
    const res = await tryCertificate({ pem: certs.expired, url: receiverUrl("mtls", bucket("try")) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ valid: false, expiry_warning: true, handshake: { ok: true } });
    expect(res.body.expires_in_days).toBeLessThan(0);
    expect(res.body.message).toMatch(/^Certificate not valid: The certificate \(CN=Acme Expired CA,O=Acme Ltd\) expired on/);
  });

  it("says the URL is not reachable when nothing listens there", async () => {
    const res = await tryCertificate({ pem: certs.valid, url: "https://127.0.0.1:1/webhooks/nafsi" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ valid: false, details: { fingerprint_sha256: certs.validView.fingerprint }, handshake: { ok: false, error_code: "not_reachable" } });
  });

  it.each([
    ["a metadata address", "https://169.254.169.254/latest/meta-data", /must not point to a private/],
    ["plain http to a public host", "http://api.myapp.com/webhooks", /must use https/],
    ["not a URL", "webhooks/nafsi", /must be an absolute URL/],
  ])("refuses %s as a webhook URL is refused: 400 naming url, nothing sent", async (_what, url, message) => {
    const res = await tryCertificate({ pem: certs.valid, url });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: [{ path: "url", message: expect.stringMatching(message) }] });
  });

  it.each([
    ["garbage", () => certs.garbage, /not a PEM certificate/],
    ["DER as base64", () => certs.derBase64, /openssl x509 -inform der/],
    ["a private key", () => certs.privateKey, /private key/],
  ])("answers 400 naming pem for %s, before any handshake", async (_what, pem, message) => {
    const b = bucket("try");
    const res = await tryCertificate({ pem: pem(), url: receiverUrl("mtls", b) });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: "pem", message: expect.stringMatching(message) }]);
    expect(await received(b)).toHaveLength(0);
  });

  it("names each missing field and refuses an unknown one", async () => {
    const res = await tryCertificate({ webhook_id: "wh_x" });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["pem", "url", "webhook_id"]);
  });

  it("answers 401 without a key or with a wrong one, and another organisation's key tries its own, storing nothing", async () => {
    const body = { pem: certs.valid, url: receiverUrl("mtls", bucket("try")) };
    expect((await tryCertificate(body, null)).status).toBe(401);
    expect((await tryCertificate(body, "nfk_" + "A".repeat(43))).status).toBe(401);
    const other = await createOrganisation();
    const res = await tryCertificate(body, other.api_key);
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(true);
  });
});

/**
 * An endpoint behind Cloudflare's proxy: Cloudflare answers 520 to a Worker that presents a client
 * certificate (the mTLS binding) to a proxied hostname. Played here by the real mTLS receiver
 * answering 520, reached through the forwarder that stands in for the binding.
 */
import { describe, expect, inject, it } from "vitest";
import { verdictFromStatus } from "../src/certificates/handshake";
import { activate, call, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { attemptsOf, deliveriesOf } from "./helpers/db";
import { bucket, received, receiverUrl } from "./helpers/receivers";

const certs = inject("certs");
const edge520 = (b: string) => receiverUrl("mtls", b, "status/520");

describe("certificate validation against an endpoint behind Cloudflare's proxy", () => {
  it("fails the handshake that Cloudflare answers 520, saying what to change", async () => {
    const org = await createOrganisation();
    const b = bucket("cf520");
    const wh = await createWebhook(org.api_key, { url: edge520(b) });
    await expectStatus(200, "PUT", `/v1/webhooks/${wh.id}/certificate`, { token: org.api_key, body: { pem: certs.valid } });
    const res = await call("POST", `/v1/webhooks/${wh.id}/certificate/validate`, { token: org.api_key, body: {} });
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(false);
    expect(res.body.handshake).toMatchObject({
      ok: false,
      error_code: "cloudflare_proxied",
      status_code: 520,
      client_certificate: true,
      error: expect.stringMatching(/^Cloudflare answered HTTP 520 for localhost:\d+: the host is most likely behind Cloudflare's proxy\. .*DNS-only \(grey cloud\)/),
    });
    expect(res.body.message).toMatch(/^Certificate not valid: Cloudflare answered HTTP 520/);
    // The request went out with our client certificate, as through the production binding.
    expect((await received(b))[0]).toMatchObject({ method: "HEAD", client_cert_subject: "nafsi-webhooks-client" });
  });

  it("fails it too when a certificate is tried before the webhook exists", async () => {
    const org = await createOrganisation();
    const res = await call("POST", "/v1/certificates/validate", { token: org.api_key, body: { pem: certs.valid, url: edge520(bucket("cf520")) } });
    expect(res.body).toMatchObject({ valid: false, handshake: { ok: false, error_code: "cloudflare_proxied" } });
  });

  it("without our client certificate, a 520 is the origin's unknown error, not the proxy", () => {
    expect(verdictFromStatus(520, "h", false)).toMatchObject({ ok: false, error_code: "not_reachable", error: expect.stringMatching(/unknown error from its origin/) });
  });
});

describe("a delivery to an endpoint behind Cloudflare's proxy", () => {
  it("is retried like any 5xx, and every attempt's log names the likely cause and the fix", { timeout: 30_000 }, async () => {
    const org = await createOrganisation();
    const b = bucket("cf520");
    const wh = await createWebhook(org.api_key, { url: edge520(b) });
    await activate(org.api_key, wh.id);
    await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted });
    const [d] = await waitFor(async () => {
      const rows = await deliveriesOf(wh.id);
      return rows[0]?.status === "failed" ? rows : undefined;
    }, 20_000);
    expect(d!.attempts).toBe(3);
    const log = await attemptsOf(wh.id);
    expect(log.map((a) => [a.attempt, a.status, a.response_code, a.error_code])).toEqual([
      [1, "retrying", 520, "http_5xx"],
      [2, "retrying", 520, "http_5xx"],
      [3, "failed", 520, "http_5xx"],
    ]);
    for (const a of log) expect(a.error).toMatch(/^Endpoint answered HTTP 520 \(Cloudflare: unknown error\)\. Likely cause: the endpoint's hostname is proxied by Cloudflare \(orange cloud\).*DNS-only/);
    expect((await received(b)).map((r) => r.client_cert_subject)).toEqual(Array(3).fill("nafsi-webhooks-client"));
  });
});

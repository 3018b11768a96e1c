import { describe, expect, it } from "vitest";
import { activate, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { attemptsOf, deliveriesOf } from "./helpers/db";
import { bucket, received, receiverUrl, verifyAtReceiver } from "./helpers/receivers";

describe("delivery over mTLS", () => {
  it("delivers a signed event to a receiver that demands our client certificate", async () => {
    const org = await createOrganisation();
    const b = bucket("mtls");
    const secret = "whsec_" + btoa("0123456789abcdef0123456789abcdef");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("mtls", b), secret });
    await activate(org.api_key, wh.id);

    const res = await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted });
    expect(res.status).toBe(202);
    expect(res.body.deliveries).toBe(1);

    const [got] = await waitFor(async () => {
      const r = await received(b);
      return r.length ? r : undefined;
    });
    expect(got!.tls).toBe(true);
    expect(got!.client_cert_subject).toBe("nafsi-webhooks-client");
    expect(got!.headers["x-nafsi-event"]).toBe("verification.completed");
    expect(got!.headers["x-webhook-id"]).toBe(wh.id);
    expect(got!.headers["user-agent"]).toBe("Nafsi-Webhooks/1.0");
    expect(JSON.parse(got!.body)).toMatchObject({ event: "verification.completed", event_id: res.body.event_id, organisation_id: org.id, data: sampleCompleted });
    expect(await verifyAtReceiver(b, 0, secret)).toEqual({ doc: true, standard: true, node: true, python: true });

  });
});

describe("TLS failures", () => {
  it("classes an untrusted server certificate as a tls failure and does not retry it", async () => {
    const org = await createOrganisation();
    const b = bucket("untrusted");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("untrusted", b) });
    await activate(org.api_key, wh.id);
    await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted });
    const [d] = await waitFor(async () => {
      const rows = await deliveriesOf(wh.id);
      return rows[0]?.status === "failed" ? rows : undefined;
    });
    expect(d!.attempts).toBe(1);
    const log = await attemptsOf(wh.id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ attempt: 1, status: "failed", error_code: "tls" });
    // The handshake failed, so the receiver's handler never saw a request.
    expect(await received(b)).toEqual([]);
  });

  it("uses the webhook's method and enabled custom headers only", async () => {
    const org = await createOrganisation();
    const b = bucket("hdr");
    const wh = await createWebhook(org.api_key, {
      url: receiverUrl("mtls", b),
      method: "PUT",
      secret: "sk_webhook_abc123xyz789",
      headers: [
        { name: "X-Custom-Header", value: "MyValue", enabled: true },
        { name: "X-API-Version", value: "v1", enabled: false },
        { name: "Authorization", value: "Bearer token123", enabled: true },
      ],
    });
    await activate(org.api_key, wh.id);
    await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted });
    const [got] = await waitFor(async () => {
      const r = await received(b);
      return r.length ? r : undefined;
    });
    expect(got!.method).toBe("PUT");
    expect(got!.headers["x-custom-header"]).toBe("MyValue");
    expect(got!.headers["x-api-version"]).toBeUndefined();
    expect(got!.headers.authorization).toBe("Bearer token123");
    expect(got!.headers["content-type"]).toBe("application/json");
    // No whsec_ secret: no Standard Webhooks headers.
    expect(got!.headers["webhook-signature"]).toBeUndefined();
  });
});

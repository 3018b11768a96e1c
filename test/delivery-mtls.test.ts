import { describe, expect, it } from "vitest";
import { activate, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
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
    expect(await verifyAtReceiver(b, 0, secret)).toEqual({ doc: true, standard: true });

  });
});

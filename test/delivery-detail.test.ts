/**
 * GET /v1/webhooks/{id}/deliveries/{delivery_id}: the payload and headers are what a real
 * receiver recorded, byte for byte, with credential values masked; an answer's content type and
 * at most 1 KiB of its body; and the event lookup, GET /v1/events/{event_id}.
 */
import { describe, expect, it } from "vitest";
import { activate, call, createOrganisation, createWebhook, expectStatus, ingest, INGEST_TOKEN, sampleCompleted, waitFor } from "./helpers/api";
import { bucket, received, receiverUrl } from "./helpers/receivers";
import { isCredentialHeader, maskValue } from "../src/security/header-policy";

const SECRET = "whsec_" + btoa("0123456789abcdef0123456789abcdef");
const TOKEN = "Bearer detail-test-credential-0123456789";

async function deliveredWebhook(behaviour = "ok") {
  const org = await createOrganisation();
  const b = bucket("detail");
  const headers = [{ name: "Authorization", value: TOKEN }, { name: "X-Team", value: "payments" }, { name: "X-Off", value: "never sent", enabled: false }];
  const w = await createWebhook(org.api_key, { url: receiverUrl("http", b, behaviour), secret: SECRET, headers });
  await activate(org.api_key, w.id);
  const res = await ingest({ event: "verification.completed", organisation_id: org.id, data: { ...sampleCompleted, note: "ünïcode ✓" } });
  expect(res.status).toBe(202);
  const [row] = await waitFor(async () => {
    const logs = await expectStatus(200, "GET", `/v1/webhooks/${w.id}/logs`, { token: org.api_key });
    return logs.data.length > 0 && logs.data[0].status !== "retrying" ? logs.data : null;
  });
  return { org, w, b, eventId: res.body.event_id as string, deliveryId: row.delivery_id as string };
}

describe("GET /v1/webhooks/{id}/deliveries/{delivery_id}", () => {
  it("shows the payload and every header exactly as the receiver got them, credentials masked", async () => {
    const { org, w, b, eventId, deliveryId } = await deliveredWebhook();
    const [got] = await received(b);
    const d = await expectStatus(200, "GET", `/v1/webhooks/${w.id}/deliveries/${deliveryId}`, { token: org.api_key });
    expect(d).toMatchObject({ id: deliveryId, event_id: eventId, event: "verification.completed", status: "success", attempts: 1, test: false });
    expect(d.body).toBe(got!.body);
    expect(d.log).toHaveLength(1);
    const [a] = d.log;
    expect(a).toMatchObject({ attempt: 1, status: "success", error_code: null, request: { method: "POST", url: receiverUrl("http", b) } });
    expect(a.response).toMatchObject({ status_code: 200, content_type: "application/json", body: JSON.stringify({ received: true }) });

    const shown = a.request.headers as Record<string, string>;
    // Every header we sent, and nothing the receiver did not get (the disabled one stays out).
    for (const name of ["authorization", "x-team", "content-type", "user-agent", "x-nafsi-event", "x-webhook-id", "x-delivery-id", "x-nafsi-signature", "webhook-id", "webhook-timestamp", "webhook-signature"]) {
      expect(shown, name).toHaveProperty(name);
    }
    expect(shown).not.toHaveProperty("x-off");
    for (const [name, value] of Object.entries(shown)) {
      const sent = got!.headers[name];
      expect(sent, `${name} was not received`).toBeDefined();
      expect(value, name).toBe(isCredentialHeader(name) ? maskValue(sent!) : sent);
    }
    // Masked: the credential and the signatures, never their values.
    expect(shown.authorization).toBe(maskValue(TOKEN));
    expect(shown["x-nafsi-signature"]).not.toBe(got!.headers["x-nafsi-signature"]);
    expect(JSON.stringify(d)).not.toContain("detail-test-credential");
    expect(JSON.stringify(d)).not.toContain(got!.headers["x-nafsi-signature"]!.slice(7, 40));
    // webhook-timestamp is the attempt's logged time, to the second.
    expect(Number(shown["webhook-timestamp"])).toBe(Math.floor(Date.parse(a.timestamp) / 1000));

    // A rotation changes the revision's secret in place: the signatures shown stay the ones sent.
    await expectStatus(200, "POST", `/v1/webhooks/${w.id}/secret/rotate`, { token: org.api_key, body: { overlap_seconds: 0 } });
    const after = await expectStatus(200, "GET", `/v1/webhooks/${w.id}/deliveries/${deliveryId}`, { token: org.api_key });
    expect(after.log[0].request.headers).toEqual(shown);
  });

  it("keeps an answer's content type and at most 1 KiB of its body, cut between characters", async () => {
    const { org, w, deliveryId } = await deliveredWebhook("text/400/2000");
    const d = await expectStatus(200, "GET", `/v1/webhooks/${w.id}/deliveries/${deliveryId}`, { token: org.api_key });
    expect(d.status).toBe("failed");
    const [a] = d.log;
    expect(a).toMatchObject({ status: "failed", error_code: "http_4xx" });
    expect(a.response.status_code).toBe(400);
    expect(a.response.content_type).toBe("text/plain; charset=utf-8");
    // 1 + 2 x 2000 bytes were answered; byte 1024 falls inside an "é", which is left out.
    expect(a.response.body).toBe(`a${"é".repeat(511)}`);
    expect(new TextEncoder().encode(a.response.body).byteLength).toBeLessThanOrEqual(1024);
  });

  it("shows no response for an endpoint that did not answer, and the request it was sent", async () => {
    const org = await createOrganisation();
    const url = receiverUrl("http", bucket("detail-hang"), "hang");
    const w = await createWebhook(org.api_key, { url, headers: [{ name: "X-Api-Key", value: "k".repeat(20) }] });
    await activate(org.api_key, w.id);
    await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted });
    const [row] = await waitFor(async () => {
      const { data } = await expectStatus(200, "GET", `/v1/webhooks/${w.id}/logs`, { token: org.api_key });
      return data.length > 0 ? data : null;
    }, 20_000);
    const d = await expectStatus(200, "GET", `/v1/webhooks/${w.id}/deliveries/${row.delivery_id}`, { token: org.api_key });
    expect(d.log[0]).toMatchObject({ error_code: "timeout", response: null, request: { url } });
    expect(d.log[0].request.headers["x-api-key"]).toBe(maskValue("k".repeat(20)));
    expect(d.log[0].request.headers["x-nafsi-signature"]).toMatch(/^••••.{4}$/);
  });

  it("answers 404 for another organisation's delivery, another webhook's, one that does not exist and an id that is not one", async () => {
    const { org, w, deliveryId } = await deliveredWebhook();
    const stranger = await createOrganisation();
    const other = await createWebhook(org.api_key, {});
    for (const [token, path] of [
      [stranger.api_key, `/v1/webhooks/${w.id}/deliveries/${deliveryId}`],
      [org.api_key, `/v1/webhooks/${other.id}/deliveries/${deliveryId}`],
      [org.api_key, `/v1/webhooks/${w.id}/deliveries/dlv_nothing`],
      // Not ids this service makes, or an id's time no partition can hold (35,000 years on, and 1970): not found, never an error.
      [org.api_key, `/v1/webhooks/${w.id}/deliveries/not-an-id`],
      [org.api_key, `/v1/webhooks/${w.id}/deliveries/${deliveryId.toUpperCase()}`],
      [org.api_key, `/v1/webhooks/${w.id}/deliveries/dlv_${"z".repeat(26)}`],
      [org.api_key, `/v1/webhooks/${w.id}/deliveries/dlv_${"0".repeat(26)}`],
    ] as const) {
      const res = await call("GET", path, { token });
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe("NOT_FOUND");
    }
  });
});

describe("GET /v1/events/{event_id}", () => {
  it("shows the organisation its event and where it went", async () => {
    const { org, w, eventId, deliveryId, b } = await deliveredWebhook();
    const [got] = await received(b);
    const e = await expectStatus(200, "GET", `/v1/events/${eventId}`, { token: org.api_key });
    const sent = JSON.parse(got!.body);
    expect(e).toEqual({
      event_id: eventId,
      event: "verification.completed",
      timestamp: sent.timestamp,
      data: sent.data,
      deliveries: [{ id: deliveryId, webhook_id: w.id, status: "success", attempts: 1 }],
    });
  });

  it("is another organisation's 404, and no key, a wrong key or the ingest token are 401", async () => {
    const { eventId } = await deliveredWebhook();
    const stranger = await createOrganisation();
    const res = await call("GET", `/v1/events/${eventId}`, { token: stranger.api_key });
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toContain("verification.completed");
    for (const token of [null, "nfk_" + "A".repeat(43), INGEST_TOKEN]) expect((await call("GET", `/v1/events/${eventId}`, { token })).status).toBe(401);
  });
});

/**
 * An organisation with one of everything (test/tenant-isolation.test.ts): an event webhook and a
 * verification check webhook, both active with a CA certificate, a secret and a credential
 * header; delivery logs on both; a finished CSV export in R2; two spare inactive webhooks.
 * Its markers are strings that appear in its data and nowhere else.
 */
import { expect, inject } from "vitest";
import { activate, ADMIN_TOKEN, call, createOrganisation, createWebhook, expectStatus, ingest, INGEST_TOKEN, sampleCompleted, waitFor } from "./api";
import { bucket, received, receiverUrl } from "./receivers";

export interface Tenant {
  id: number;
  key: string;
  tag: string;
  event: { id: string };
  check: { id: string };
  webhookIds: string[];
  eventIds: string[];
  exportId: string;
  /** A finished recovery of the event webhook (nothing to re-send: its deliveries all succeeded). */
  recoveryId: string;
  /** Per webhook id, its deliveries: the two events' to the event webhook, the check's to the check webhook. */
  deliveryIds: Record<string, string[]>;
  buckets: { event: string; check: string };
  markers: string[];
  /** The id of its API key (operator routes list and revoke keys by id). */
  keyId: string;
}

const b64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

export async function makeTenant(label: string): Promise<Tenant> {
  const tag = `${label}${Math.random().toString(36).slice(2, 10)}`;
  const org = await createOrganisation(`Tenant ${tag}`);
  const buckets = { event: bucket(`ti-${tag}-ev`), check: bucket(`ti-${tag}-chk`) };
  const markers = [`Tenant ${tag}`, `Events ${tag}`, `Check ${tag}`, `secret-${tag}-0123456789`, `token-${tag}`, `tenant-${tag}`, `ver_${tag}`, buckets.event, buckets.check];
  const headers = [{ name: "Authorization", value: `Bearer token-${tag}` }, { name: "X-Tenant", value: `tenant-${tag}` }];
  const event = await createWebhook(org.api_key, {
    name: `Events ${tag}`, url: receiverUrl("http", buckets.event), events: ["verification.completed", "units.depleted"], secret: `secret-${tag}-0123456789`, headers,
  });
  const answer = b64url(JSON.stringify({ success: true, score: 0.9, data: { result: "approved" } }));
  const check = await createWebhook(org.api_key, {
    type: "verification_check", events: undefined, name: `Check ${tag}`, url: receiverUrl("mtls", buckets.check, `json/${answer}`), secret: `secret-${tag}-0123456789`, headers,
  });
  for (const w of [event, check]) {
    await activate(org.api_key, w.id);
    await expectStatus(200, "PUT", `/v1/webhooks/${w.id}/certificate`, { token: org.api_key, body: { pem: inject("certs").valid } });
  }
  const spares = [await createWebhook(org.api_key, { name: `Spare ${tag} 1` }), await createWebhook(org.api_key, { name: `Spare ${tag} 2` })];

  const eventIds: string[] = [];
  for (let i = 0; i < 2; i++) {
    const res = await ingest({ event: "verification.completed", organisation_id: org.id, data: { ...sampleCompleted, verification_id: `ver_${tag}_${i}` } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    eventIds.push(res.body.event_id);
  }
  await waitFor(async () => (await received(buckets.event)).length >= 2);
  await waitFor(async () => (await expectStatus(200, "GET", `/v1/webhooks/${event.id}/logs`, { token: org.api_key })).data.length >= 2);
  const checked = await call("POST", "/v1/checks", { token: INGEST_TOKEN, body: { organisation_id: org.id, webhook_id: check.id, input: { customer_id: "cust_1" } } });
  expect(checked.body).toMatchObject({ passed: true });
  const logged = await expectStatus(200, "GET", `/v1/webhooks/${event.id}/logs`, { token: org.api_key });
  const deliveryIds = { [event.id]: [...new Set<string>(logged.data.map((row: { delivery_id: string }) => row.delivery_id))], [check.id]: [checked.body.check_id as string] };

  const exp = await expectStatus(202, "POST", `/v1/webhooks/${event.id}/logs/export`, { token: org.api_key, body: {} });
  await waitFor(async () => (await expectStatus(200, "GET", `/v1/exports/${exp.id}`, { token: org.api_key })).status === "done", 25_000, 200);

  const rcv = await expectStatus(202, "POST", `/v1/webhooks/${event.id}/recover`, { token: org.api_key, body: { since: new Date(Date.now() - 3_600_000).toISOString() } });
  await waitFor(async () => (await expectStatus(200, "GET", `/v1/webhooks/${event.id}/recoveries/${rcv.id}`, { token: org.api_key })).status === "done", 25_000, 200);

  const keyId = (await expectStatus(200, "GET", `/v1/organisations/${org.id}/api-keys`, { token: ADMIN_TOKEN })).data[0].id as string;

  return {
    id: org.id, key: org.api_key, keyId, tag, event, check, eventIds, exportId: exp.id, recoveryId: rcv.id, deliveryIds, buckets, markers,
    webhookIds: [event.id, check.id, ...spares.map((s) => s.id)],
  };
}

/**
 * POST /v1/webhooks/{id}/deliveries/{delivery_id}/resend: one more attempt through the queue,
 * with the same X-Delivery-ID and webhook-id, signed with the webhook's current secret, logged
 * as attempt n+1 and counted; no retries after it; 409 while pending or while the webhook cannot
 * send, saying what to do; 404 for another organisation's.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { activate, call, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { deliveryState } from "./helpers/db";
import { bucket, received, receiverUrl, verifyAtReceiver } from "./helpers/receivers";

const OLD_SECRET = "whsec_" + btoa("old-secret-0123456789abcdef01234");
const NEW_SECRET = "whsec_" + btoa("new-secret-0123456789abcdef01234");

async function delivered(behaviour: string, expectedStatus: string) {
  const org = await createOrganisation();
  const b = bucket("resend");
  const w = await createWebhook(org.api_key, { url: receiverUrl("http", b, behaviour), secret: OLD_SECRET });
  await activate(org.api_key, w.id);
  await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted });
  const d = await waitFor(async () => {
    const { data } = await expectStatus(200, "GET", `/v1/webhooks/${w.id}/logs`, { token: org.api_key });
    return data.length > 0 && data[0].status === expectedStatus ? data[0] : null;
  });
  return { org, w, b, deliveryId: d.delivery_id as string };
}

const detail = (org: { api_key: string }, webhookId: string, deliveryId: string) =>
  expectStatus(200, "GET", `/v1/webhooks/${webhookId}/deliveries/${deliveryId}`, { token: org.api_key });

describe("resend", () => {
  it("sends the same delivery again, signed with the current secret, logged as the next attempt and counted", async () => {
    const { org, w, b, deliveryId } = await delivered("ok", "success");
    const statsBefore = await expectStatus(200, "GET", `/v1/webhooks/${w.id}/stats`, { token: org.api_key });
    await expectStatus(200, "PATCH", `/v1/webhooks/${w.id}`, { token: org.api_key, body: { secret: NEW_SECRET } });

    const res = await expectStatus(202, "POST", `/v1/webhooks/${w.id}/deliveries/${deliveryId}/resend`, { token: org.api_key });
    expect(res).toEqual({ delivery_id: deliveryId, attempt: 2 });
    const [first, second] = await waitFor(async () => ((await received(b)).length === 2 ? received(b) : null));
    for (const name of ["x-delivery-id", "webhook-id"]) expect(second!.headers[name], name).toBe(first!.headers[name]);
    expect(second!.headers["x-delivery-id"]).toBe(deliveryId);
    expect(second!.body).toBe(first!.body);
    expect(await verifyAtReceiver(b, 1, NEW_SECRET)).toMatchObject({ doc: true, standard: true, node: true });
    expect((await verifyAtReceiver(b, 1, OLD_SECRET)).node).toBe(false);

    const d = await waitFor(async () => {
      const x = await detail(org, w.id, deliveryId);
      return x.log.length === 2 && x.status !== "pending" ? x : null;
    });
    expect(d).toMatchObject({ status: "success", attempts: 2 });
    expect(d.log.map((a: { attempt: number; status: string }) => [a.attempt, a.status])).toEqual([[1, "success"], [2, "success"]]);
    expect(d.log[1].request.headers["x-delivery-id"]).toBe(deliveryId);
    const stats = await expectStatus(200, "GET", `/v1/webhooks/${w.id}/stats`, { token: org.api_key });
    expect(stats.total_deliveries).toBe(statsBefore.total_deliveries + 1);
    expect(stats.successful_deliveries).toBe(statsBefore.successful_deliveries + 1);
  });

  it("does not retry a resend that fails", async () => {
    // The first request succeeds; every later one answers 500, which would be retried after 2 s.
    const { org, w, b, deliveryId } = await delivered("sequence/200,500", "success");
    await expectStatus(202, "POST", `/v1/webhooks/${w.id}/deliveries/${deliveryId}/resend`, { token: org.api_key });
    await waitFor(async () => (await detail(org, w.id, deliveryId)).status === "failed");
    await new Promise((r) => setTimeout(r, 3_500));
    expect(await received(b)).toHaveLength(2);
    const d = await detail(org, w.id, deliveryId);
    expect(d).toMatchObject({ status: "failed", attempts: 2 });
    expect(d.log.map((a: { status: string }) => a.status)).toEqual(["success", "failed"]);
    const stats = await expectStatus(200, "GET", `/v1/webhooks/${w.id}/stats`, { token: org.api_key });
    expect(stats).toMatchObject({ total_deliveries: 2, failed_deliveries: 1 });
  });

  it("resends a failed delivery once it has ended", async () => {
    const { org, w, b, deliveryId } = await delivered("status/400", "failed");
    expect(await expectStatus(202, "POST", `/v1/webhooks/${w.id}/deliveries/${deliveryId}/resend`, { token: org.api_key })).toEqual({ delivery_id: deliveryId, attempt: 2 });
    await waitFor(async () => (await received(b)).length === 2);
  });
});

describe("resend refused", () => {
  /** Refused, and the delivery in its partition is as it was (status, attempts, updated_at, last_attempt, revision and the rest). */
  async function refused(org: { api_key: string }, webhookId: string, deliveryId: string, status: number, message: RegExp) {
    const before = await deliveryState(webhookId, deliveryId);
    expect(before).not.toBeNull();
    const res = await call("POST", `/v1/webhooks/${webhookId}/deliveries/${deliveryId}/resend`, { token: org.api_key });
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error.message).toMatch(message);
    expect(await deliveryState(webhookId, deliveryId)).toEqual(before);
  }

  it("409 while the delivery is still pending", async () => {
    // A hanging endpoint times out and the delivery waits for its retry: pending.
    const { org, w, deliveryId } = await delivered("hang", "retrying");
    await refused(org, w.id, deliveryId, 409, /still pending.*once it has ended/);
  });

  it("409 for a paused webhook, saying to resume it, and for an inactive one, saying to activate it", async () => {
    const { org, w, deliveryId } = await delivered("ok", "success");
    await expectStatus(200, "POST", `/v1/webhooks/${w.id}/pause`, { token: org.api_key });
    await refused(org, w.id, deliveryId, 409, new RegExp(`paused.*resume it \\(POST /v1/webhooks/${w.id}/resume\\)`));
    // A webhook is inactive only until its first activation: made so here.
    await env.DB.prepare("UPDATE webhooks SET status = 'inactive', paused_reason = NULL WHERE id = ?").bind(w.id).run();
    await refused(org, w.id, deliveryId, 409, new RegExp(`inactive.*activate it \\(POST /v1/webhooks/${w.id}/activate\\)`));
  });

  it("409 for a test event, whose body is not kept, and 404 for another organisation's or a missing delivery", async () => {
    const { org, w, deliveryId } = await delivered("ok", "success");
    const test = await expectStatus(200, "POST", `/v1/webhooks/${w.id}/test`, { token: org.api_key, body: { event: "verification.completed" } });
    await refused(org, w.id, test.delivery_id, 409, /test event.*POST \/v1\/webhooks\/.*\/test/);
    const stranger = await createOrganisation();
    await refused(stranger, w.id, deliveryId, 404, /not found/);
    const res = await call("POST", `/v1/webhooks/${w.id}/deliveries/dlv_missing/resend`, { token: org.api_key });
    expect(res.status).toBe(404);
  });
});

import { createExecutionContext, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { AUTO_PAUSE_AFTER } from "../src/durable/webhook-health";
import { activate, createOrganisation, createWebhook, expectStatus, ingest, waitFor } from "./helpers/api";
import { count, deliveriesOf } from "./helpers/db";
import { failingNamespace } from "./helpers/failing-namespace";
import { bucket, receiverUrl } from "./helpers/receivers";

const health = (orgId: number, webhookId: string) => env.WEBHOOK_HEALTH.get(env.WEBHOOK_HEALTH.idFromName(`${orgId}:${webhookId}`));

async function activeWebhook() {
  const org = await createOrganisation();
  const wh = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("ap")) });
  await activate(org.api_key, wh.id);
  return { org, wh };
}

const status = async (apiKey: string, id: string) => (await expectStatus(200, "GET", `/v1/webhooks/${id}`, { token: apiKey })).status;

describe("auto-pause after consecutive failures", () => {
  it("pauses at exactly the 10th failed delivery and sends one email", async () => {
    expect(AUTO_PAUSE_AFTER).toBe(10);
    const { org, wh } = await activeWebhook();
    const stub = health(org.id, wh.id);
    for (let i = 1; i <= 9; i++) expect(await stub.recordFailure(org.id, wh.id, `dlv_${i}`, 1)).toEqual({ streak: i, paused: false });
    expect(await status(org.api_key, wh.id)).toBe("active");
    expect(await count("notifications", "webhook_id = ?", wh.id)).toBe(0);

    expect(await stub.recordFailure(org.id, wh.id, "dlv_10", 1)).toEqual({ streak: 10, paused: true });
    const w = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key });
    expect(w.status).toBe("paused");
    expect(w.paused_reason).toMatch(/10 consecutive failed deliveries/);
    expect(await stub.recordFailure(org.id, wh.id, "dlv_11", 1)).toEqual({ streak: 11, paused: false });
    const mails = await env.DB.prepare("SELECT recipient, error FROM notifications WHERE webhook_id = ?").bind(wh.id).all();
    expect(mails.results).toEqual([{ recipient: org.notification_email, error: null }]);

    // Resume resets the count.
    await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/resume`, { token: org.api_key });
    expect(await stub.streak()).toBe(0);
  });

  it("counts a re-reported delivery once", async () => {
    const { org, wh } = await activeWebhook();
    const stub = health(org.id, wh.id);
    for (let i = 0; i < 12; i++) await stub.recordFailure(org.id, wh.id, "dlv_same", 1);
    expect(await stub.streak()).toBe(1);
    expect(await status(org.api_key, wh.id)).toBe("active");
  });

  it("counts a resent delivery that fails again (another attempt) again", async () => {
    const { org, wh } = await activeWebhook();
    const stub = health(org.id, wh.id);
    await stub.recordFailure(org.id, wh.id, "dlv_resent", 3);
    await stub.recordFailure(org.id, wh.id, "dlv_resent", 3);
    expect(await stub.recordFailure(org.id, wh.id, "dlv_resent", 4)).toEqual({ streak: 2, paused: false });
  });

  it("leaves nothing behind in the Durable Object when the webhook is deleted", async () => {
    const { org, wh } = await activeWebhook();
    const stub = health(org.id, wh.id);
    for (let i = 0; i < 3; i++) await stub.recordFailure(org.id, wh.id, `dlv_${i}`, 1);
    expect(await stub.streak()).toBe(3);
    await expectStatus(204, "DELETE", `/v1/webhooks/${wh.id}`, { token: org.api_key });
    const keys = await runInDurableObject(stub, (_instance, state) => [...state.storage.kv.list()]);
    expect(keys).toEqual([]);
  });

  it("leaves nothing behind when the first call to forget is lost on the way: tried again in place, since a repeated DELETE is a 404", async () => {
    const { org, wh } = await activeWebhook();
    const stub = health(org.id, wh.id);
    await stub.recordFailure(org.id, wh.id, "dlv_0", 1);
    const lossy = { ...env, WEBHOOK_HEALTH: failingNamespace(env.WEBHOOK_HEALTH, "forget", "Network connection lost.", "before", 1) };
    const res = await app.fetch(new Request(`http://x/v1/webhooks/${wh.id}`, { method: "DELETE", headers: { Authorization: `Bearer ${org.api_key}` } }), lossy, createExecutionContext());
    expect(res.status).toBe(204);
    expect(await runInDurableObject(stub, (_instance, state) => [...state.storage.kv.list()])).toEqual([]);
  });

  it("never pauses when failures and successes alternate", async () => {
    const { org, wh } = await activeWebhook();
    const stub = health(org.id, wh.id);
    for (let i = 0; i < 30; i++) {
      await stub.recordFailure(org.id, wh.id, `dlv_${i}`, 1);
      await stub.recordSuccess(org.id, wh.id);
    }
    expect(await stub.streak()).toBe(0);
    expect(await status(org.api_key, wh.id)).toBe("active");
  });

  it("pauses exactly once under 50 concurrent failure reports", async () => {
    const { org, wh } = await activeWebhook();
    const stub = health(org.id, wh.id);
    const reports = await Promise.all(Array.from({ length: 50 }, (_, i) => stub.recordFailure(org.id, wh.id, `dlv_c${i}`, 1)));
    expect(reports.filter((r) => r.paused)).toHaveLength(1);
    expect(reports.map((r) => r.streak).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await count("notifications", "webhook_id = ?", wh.id)).toBe(1);
    expect(await status(org.api_key, wh.id)).toBe("paused");
  });

  it("end to end: ten events to a failing endpoint pause the webhook; the eleventh is skipped", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("ap10"), "status/404"), events: ["workflow.created", "verification.completed"] });
    await activate(org.api_key, wh.id);
    for (let i = 0; i < 9; i++) await ingest({ event: "workflow.created", organisation_id: org.id, data: { i } });
    await waitFor(async () => ((await deliveriesOf(wh.id)).filter((d) => d.status === "failed").length === 9 ? true : undefined));
    expect(await status(org.api_key, wh.id)).toBe("active");
    await ingest({ event: "verification.completed", organisation_id: org.id, data: { verification_id: "v", workflow_id: "w", status: "s" } });
    await waitFor(async () => ((await status(org.api_key, wh.id)) === "paused" ? true : undefined));
    expect(await count("notifications", "webhook_id = ?", wh.id)).toBe(1);
    const eleventh = await ingest({ event: "verification.completed", organisation_id: org.id, data: { verification_id: "v2", workflow_id: "w", status: "s" } });
    expect(eleventh.body).toMatchObject({ deliveries: 1, skipped: 1 });
  });
});

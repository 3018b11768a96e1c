/**
 * Auto-pause when production fails part-way: a D1 write of the pause that fails, a lookup of
 * whom to email that fails, an email refused for a while or for good, an object that stops
 * after a send and before recording it. Each ends in exactly one pause, at most one email and a
 * notification row saying what became of it. Faults are injected with src/durable/faults.ts;
 * alarms are run with runDurableObjectAlarm, as the runtime would run them, only sooner.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { disarmNoticeFaults, failNext, timesReached } from "../src/durable/faults";
import { NOTICE_TRIES } from "../src/durable/policy";
import { ADMIN_TOKEN, activate, createOrganisation, createWebhook, expectStatus } from "./helpers/api";
import { bucket, receiverUrl } from "./helpers/receivers";

const health = (orgId: number, webhookId: string) => env.WEBHOOK_HEALTH.get(env.WEBHOOK_HEALTH.idFromName(`${orgId}:${webhookId}`));
type Stub = ReturnType<typeof health>;

async function nineFailures() {
  const org = await createOrganisation();
  const wh = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("apf")) });
  await activate(org.api_key, wh.id);
  const stub = health(org.id, wh.id);
  for (let i = 1; i <= 9; i++) await stub.recordFailure(org.id, wh.id, `dlv_${i}`, 1);
  return { org, wh, stub };
}

const webhook = (apiKey: string, id: string) => expectStatus(200, "GET", `/v1/webhooks/${id}`, { token: apiKey });

async function notificationsOf(webhookId: string) {
  const { results } = await env.DB.prepare("SELECT status, tries, error FROM notifications WHERE webhook_id = ?")
    .bind(webhookId)
    .all<{ status: string; tries: number; error: string | null }>();
  return results;
}

/** Runs the object's alarm until it has no notice left open. */
async function settle(stub: Stub) {
  for (let i = 0; i < 40; i++) {
    const open = await runInDurableObject(stub, (_o, state) => (state.storage.kv.get<unknown[]>("notices") ?? []).length);
    if (open === 0) return;
    await runDurableObjectAlarm(stub);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("the notice never settled");
}

/** A report that may throw (the code before the fix let the pause write's error through). */
const report = (stub: Stub, orgId: number, whId: string, deliveryId: string) => stub.recordFailure(orgId, whId, deliveryId, 1).catch(() => null);

afterEach(() => {
  disarmNoticeFaults();
  vi.restoreAllMocks();
});

describe("auto-pause when the pause write fails", () => {
  it("pauses on the re-report of the same delivery", async () => {
    const { org, wh, stub } = await nineFailures();
    failNext("pause-write");
    await report(stub, org.id, wh.id, "dlv_10");
    expect((await webhook(org.api_key, wh.id)).status).toBe("active");
    expect(await notificationsOf(wh.id)).toEqual([]);

    expect(await stub.recordFailure(org.id, wh.id, "dlv_10", 1)).toEqual({ streak: 10, paused: true });
    const w = await webhook(org.api_key, wh.id);
    expect(w.status).toBe("paused");
    expect(w.paused_reason).toMatch(/10 consecutive failed deliveries/);
    await settle(stub);
    expect(await notificationsOf(wh.id)).toEqual([{ status: "sent", tries: 1, error: null }]);
    expect(timesReached("email-send")).toBe(1);
  });

  it("pauses on a later failure", async () => {
    const { org, wh, stub } = await nineFailures();
    failNext("pause-write");
    await report(stub, org.id, wh.id, "dlv_10");
    expect(await stub.recordFailure(org.id, wh.id, "dlv_11", 1)).toEqual({ streak: 11, paused: true });
    expect(await stub.recordFailure(org.id, wh.id, "dlv_12", 1)).toEqual({ streak: 12, paused: false });
    await settle(stub);
    expect((await webhook(org.api_key, wh.id)).status).toBe("paused");
    expect(await notificationsOf(wh.id)).toEqual([{ status: "sent", tries: 1, error: null }]);
  });

  it("pauses from the alarm when no report comes again", async () => {
    const { org, wh, stub } = await nineFailures();
    failNext("pause-write");
    await report(stub, org.id, wh.id, "dlv_10");
    await settle(stub);
    expect((await webhook(org.api_key, wh.id)).status).toBe("paused");
    expect(await notificationsOf(wh.id)).toEqual([{ status: "sent", tries: 1, error: null }]);
  });
});

describe("the pause email", () => {
  it("is still sent and recorded when the lookup of whom to email fails", async () => {
    const { org, wh, stub } = await nineFailures();
    failNext("notice-lookup");
    await report(stub, org.id, wh.id, "dlv_10");
    expect((await webhook(org.api_key, wh.id)).status).toBe("paused");
    await settle(stub);
    expect(await notificationsOf(wh.id)).toEqual([{ status: "sent", tries: 1, error: null }]);
    expect(timesReached("email-send")).toBe(1);
  });

  it("refused twice, then sent: one email, one record", async () => {
    const { org, wh, stub } = await nineFailures();
    failNext("email-send", 2);
    expect(await stub.recordFailure(org.id, wh.id, "dlv_10", 1)).toEqual({ streak: 10, paused: true });
    await settle(stub);
    expect(await notificationsOf(wh.id)).toEqual([{ status: "sent", tries: 3, error: "Error: injected fault at email-send" }]);
    expect(timesReached("email-sent")).toBe(1);
  });

  it("is not sent twice when the object stops after the send and before recording it", async () => {
    const { org, wh, stub } = await nineFailures();
    failNext("email-sent");
    await report(stub, org.id, wh.id, "dlv_10");
    await settle(stub);
    expect(await notificationsOf(wh.id)).toEqual([{ status: "sent", tries: 1, error: null }]);
    expect(timesReached("email-send")).toBe(1);
  });

  it("that keeps being refused is recorded as failed, logged, and shown to the operator", async () => {
    const logged = vi.spyOn(console, "error");
    const { org, wh, stub } = await nineFailures();
    failNext("email-send", 1000);
    await report(stub, org.id, wh.id, "dlv_10");
    await settle(stub);
    expect(await notificationsOf(wh.id)).toEqual([{ status: "failed", tries: NOTICE_TRIES, error: "Error: injected fault at email-send" }]);
    expect(timesReached("email-sent")).toBe(0);
    const lines = logged.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('"msg":"pause email failed"'));
    expect(lines.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ level: "error", webhookId: wh.id, tries: NOTICE_TRIES })]);

    const listed = await expectStatus(200, "GET", `/v1/organisations/${org.id}/notifications`, { token: ADMIN_TOKEN });
    expect(listed.data).toEqual([
      expect.objectContaining({ webhook_id: wh.id, kind: "webhook.auto_paused", recipient: org.notification_email, status: "failed", tries: NOTICE_TRIES, error: "Error: injected fault at email-send" }),
    ]);
    await expectStatus(404, "GET", "/v1/organisations/999999999/notifications", { token: ADMIN_TOKEN });
  });

  it("interrupted with no answer is recorded as failed and not sent again", async () => {
    const { org, wh, stub } = await nineFailures();
    failNext("notice-lookup");
    await report(stub, org.id, wh.id, "dlv_10");
    // As if the object had died during a send: "sending" stored, no outcome.
    await runInDurableObject(stub, (_o, state) => {
      const notices = state.storage.kv.get<Record<string, unknown>[]>("notices")!;
      state.storage.kv.put("notices", notices.map((n) => ({ ...n, tries: 1, sending: true })));
    });
    await settle(stub);
    expect(await notificationsOf(wh.id)).toEqual([{ status: "failed", tries: 1, error: expect.stringMatching(/interrupted/) }]);
    expect(timesReached("email-send")).toBe(0);
  });
});

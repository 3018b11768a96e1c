/**
 * An endpoint answering 410 Gone pauses its webhook after that one attempt, through the
 * auto-pause's own path in the webhook's Durable Object: the pause, its notification row and the
 * email (sent from the object's alarm, its outcome recorded). The webhook's other pending
 * deliveries are skipped, as with any pause: nothing more reaches the endpoint.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { GONE_REASON } from "../src/durable/pause-record";
import { disarmNoticeFaults, timesReached } from "../src/durable/faults";
import { activate, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { attemptsOf, deliveriesOf } from "./helpers/db";
import { bucket, received, receiverUrl } from "./helpers/receivers";

const health = (orgId: number, webhookId: string) => env.WEBHOOK_HEALTH.get(env.WEBHOOK_HEALTH.idFromName(`${orgId}:${webhookId}`));
type Stub = ReturnType<typeof health>;

async function notificationsOf(webhookId: string) {
  const { results } = await env.DB.prepare("SELECT kind, recipient, status, tries, error FROM notifications WHERE webhook_id = ?").bind(webhookId).all();
  return results;
}

/** Runs the object's alarm until no notice is left open (the runtime runs it by itself, only later). */
async function settleNotices(stub: Stub) {
  for (let i = 0; i < 40; i++) {
    const open = await runInDurableObject(stub, (_o, state) => (state.storage.kv.get<unknown[]>("notices") ?? []).length);
    if (open === 0) return;
    await runDurableObjectAlarm(stub);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("the notice never settled");
}

const webhook = (apiKey: string, id: string) => expectStatus(200, "GET", `/v1/webhooks/${id}`, { token: apiKey });

afterEach(() => {
  disarmNoticeFaults();
  vi.restoreAllMocks();
});

describe("410 Gone", () => {
  it("pauses after that one attempt, says why, emails once, and the other pending delivery is skipped", async () => {
    const org = await createOrganisation();
    const b = bucket("gone");
    // The first request gets a 500 (its delivery waits 4 s to retry), every later one a 410.
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b, "sequence/500,410"), retry_schedule: [4, 4] });
    await activate(org.api_key, wh.id);
    // The object's binding is this one (the pool runs it in the test's isolate): what it sends is seen here.
    const send = env.EMAIL.send;
    const sent = vi.spyOn(env.EMAIL, "send").mockImplementation((message) => Reflect.apply(send, env.EMAIL, [message]));

    await ingest({ event: "verification.completed", organisation_id: org.id, data: { ...sampleCompleted, n: 1 } });
    await waitFor(async () => ((await attemptsOf(wh.id)).length === 1 ? true : undefined));
    await ingest({ event: "verification.completed", organisation_id: org.id, data: { ...sampleCompleted, n: 2 } });
    await waitFor(async () => ((await webhook(org.api_key, wh.id)).status === "paused" ? true : undefined), 10_000);
    const paused = await webhook(org.api_key, wh.id);
    expect(paused.paused_reason).toBe(GONE_REASON);

    // The first delivery's retry comes due while paused: skipped, not sent.
    const [first, second] = await waitFor(async () => {
      const ds = await deliveriesOf(wh.id);
      return ds.every((d) => d.status !== "pending") ? ds : undefined;
    }, 15_000);
    expect(second).toMatchObject({ status: "failed", attempts: 1 });
    expect(first).toMatchObject({ status: "skipped", attempts: 1 });
    const reqs = await received(b);
    expect(reqs.map((r) => r.headers["x-delivery-id"])).toEqual([first!.id, second!.id]);
    const log = await attemptsOf(wh.id);
    expect(log.map((a) => [a.delivery_id, a.attempt, a.status, a.response_code])).toEqual([
      [first!.id, 1, "retrying", 500],
      [second!.id, 1, "failed", 410],
      [first!.id, 2, "skipped", null],
    ]);

    await settleNotices(health(org.id, wh.id));
    expect(await notificationsOf(wh.id)).toEqual([{ kind: "webhook.auto_paused", recipient: org.notification_email, status: "sent", tries: 1, error: null }]);
    expect(timesReached("email-sent")).toBe(1);
    expect(sent).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(sent.mock.calls[0])).toContain(`Reason: ${GONE_REASON}.`);

    // Later events are skipped at once, like any paused webhook's.
    const later = await ingest({ event: "verification.completed", organisation_id: org.id, data: { ...sampleCompleted, n: 3 } });
    expect(later.body).toMatchObject({ deliveries: 1, skipped: 1 });
    expect(await received(b)).toHaveLength(2);
  });

  it("pauses on the first report, counts a re-report once, and resume starts afresh", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("gone1")) });
    await activate(org.api_key, wh.id);
    const stub = health(org.id, wh.id);
    expect(await stub.pauseAtOnce(org.id, wh.id, "dlv_gone", 1, GONE_REASON)).toEqual({ streak: 1, paused: true });
    expect(await stub.pauseAtOnce(org.id, wh.id, "dlv_gone", 1, GONE_REASON)).toEqual({ streak: 1, paused: false });
    expect((await webhook(org.api_key, wh.id)).paused_reason).toBe(GONE_REASON);
    await settleNotices(stub);
    expect(await notificationsOf(wh.id)).toHaveLength(1);

    await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/resume`, { token: org.api_key });
    expect(await stub.streak()).toBe(0);
    expect(await stub.pauseAtOnce(org.id, wh.id, "dlv_gone_again", 1, GONE_REASON)).toEqual({ streak: 1, paused: true });
    await settleNotices(stub);
    expect(await notificationsOf(wh.id)).toHaveLength(2);
  });

  it("does not pause a webhook that is no longer active, and sends no email for it", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("gone2")) });
    await activate(org.api_key, wh.id);
    await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/pause`, { token: org.api_key });
    const stub = health(org.id, wh.id);
    expect(await stub.pauseAtOnce(org.id, wh.id, "dlv_late", 1, GONE_REASON)).toEqual({ streak: 1, paused: false });
    await settleNotices(stub);
    expect((await webhook(org.api_key, wh.id)).paused_reason).toBe("Paused by a user");
    expect(await notificationsOf(wh.id)).toEqual([]);
  });
});

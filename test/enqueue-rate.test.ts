import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { enqueueReporting, PACE_PER_SECOND, RETRY_PAUSES_MS } from "../src/delivery/enqueue";
import type { DeliveryMessage, DeliveryPack } from "../src/delivery/messages";
import { PACK_MAX } from "../src/delivery/packs";
import { replaySkipped } from "../src/delivery/replay";
import type { DeliveryLog } from "../src/durable/delivery-log/object";
import { staleAfter, sweepPartition } from "../src/durable/delivery-log/sweep";
import { newId } from "../src/lib/ids";
import { dayOf } from "../src/storage/partitions";
import { deliveryLog } from "../src/storage/stubs";
import { activate, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { deliveriesOf, partitionsOf } from "./helpers/db";
import { logOf } from "./helpers/partition-log";
import { bucket, received, receiverUrl } from "./helpers/receivers";

type Queue = typeof env.DELIVERY_QUEUE;

/**
 * The real local queue, except that the sendBatch calls whose number (from 1) `refuses` answers
 * true throw as the edge does past 5,000 messages/s.
 */
function refusingQueue(refuses: (call: number) => boolean) {
  const calls: number[] = [];
  const queue = new Proxy(env.DELIVERY_QUEUE, {
    get(target, prop) {
      if (prop === "sendBatch") {
        return async (messages: Parameters<Queue["sendBatch"]>[0]) => {
          const call = calls.push(0);
          if (refuses(call)) throw new Error("Too Many Requests: queue over its message rate");
          calls[call - 1] = [...messages].length;
          return target.sendBatch(messages);
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { env: { ...env, DELIVERY_QUEUE: queue }, calls };
}

/** A paused webhook with `n` skipped deliveries, resumed without replay (so it is active again). */
async function skippedBacklog(n: number) {
  const org = await createOrganisation();
  const b = bucket("replay-rate");
  const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b) });
  await activate(org.api_key, wh.id);
  await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/pause`, { token: org.api_key });
  for (let i = 0; i < n; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => ingest({ event: "verification.completed", organisation_id: org.id, data: { ...sampleCompleted, verification_id: `ver_${i + j}` } })));
  }
  expect((await deliveriesOf(wh.id)).filter((d) => d.status === "skipped")).toHaveLength(n);
  await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/resume`, { token: org.api_key, body: {} });
  return { org, wh, b };
}

/** Every delivery of the webhook reached the receiver, each exactly once. */
async function expectEachReceivedOnce(b: string, whId: string, n: number) {
  await waitFor(async () => ((await received(b)).length >= n ? true : undefined), 30_000);
  await waitFor(async () => ((await deliveriesOf(whId)).every((d) => d.status === "success") ? true : undefined), 15_000);
  // A moment more: a duplicate would still be on its way.
  await new Promise((r) => setTimeout(r, 500));
  const ids = (await received(b)).map((r) => r.headers["x-delivery-id"]);
  expect(ids).toHaveLength(n);
  expect(new Set(ids)).toEqual(new Set((await deliveriesOf(whId)).map((d) => d.id)));
}

describe("a replay, with a queue that throws", () => {
  it("packs the deliveries, retries the sendBatch that threw, and sends every delivery exactly once", { timeout: 60_000 }, async () => {
    const { org, wh, b } = await skippedBacklog(250);
    // The first two tries throw; the third is taken.
    const q = refusingQueue((call) => call <= 2);
    expect(await replaySkipped(q.env, org.id, wh.id)).toBe(250);
    expect(q.calls).toEqual([0, 0, 250 / PACK_MAX]);
    await expectEachReceivedOnce(b, wh.id, 250);
  });

  it("leaves what the queue refuses on every try pending for the sweeper, which sends it once", { timeout: 60_000 }, async () => {
    const { org, wh, b } = await skippedBacklog(250);
    const tries = RETRY_PAUSES_MS.length + 1;
    const q = refusingQueue((call) => call <= tries);
    expect(await replaySkipped(q.env, org.id, wh.id)).toBe(250);
    await new Promise((r) => setTimeout(r, 500));
    expect(await received(b)).toEqual([]);
    expect((await deliveriesOf(wh.id)).filter((d) => d.status === "pending")).toHaveLength(250);
    // The partition's sweep (its alarm's work), run as if STALE had passed.
    const [scope] = await partitionsOf(wh.id);
    const swept = await runInDurableObject(deliveryLog(env, org.id, wh.id, scope!.day), (log: DeliveryLog) => log.sweep(Date.now() + staleAfter(env) + 1_000));
    expect(swept!.requeued).toHaveLength(250);
    await expectEachReceivedOnce(b, wh.id, 250);
  });
});

describe("a send larger than one sendBatch", () => {
  /** A queue that records each sendBatch (messages and bytes) and throws on the calls `refuses` names. */
  function recordingQueue(refuses: (call: number) => boolean) {
    const calls: { messages: number; bytes: number; deliveries: string[] }[] = [];
    let call = 0;
    const sendBatch = async (batch: Iterable<{ body: DeliveryMessage | DeliveryPack }>) => {
      call++;
      if (refuses(call)) throw new Error("Too Many Requests: queue over its message rate");
      const messages = [...batch];
      const deliveries = messages.flatMap((m) => (m.body.kind === "deliveries" ? m.body.deliveries.map((d) => d.delivery_id) : [m.body.delivery_id]));
      calls.push({ messages: messages.length, bytes: new TextEncoder().encode(JSON.stringify(messages.map((m) => m.body))).length, deliveries });
    };
    return { env: { ...env, DELIVERY_QUEUE: { sendBatch } as unknown as Queue }, calls };
  }
  const item = (i: number, body?: string) => ({ delivery_id: `dlv_big_${i}`, attempt: 1, organisation_id: 1, webhook_id: "wh_big", event_id: `evt_big_${i}`, ...(body === undefined ? {} : { body }) });

  it("sends packs in calls of at most 100 messages, and goes on after a call that fails every try", { timeout: 30_000 }, async () => {
    const n = 2_100;
    const tries = RETRY_PAUSES_MS.length + 1;
    // The second call fails every try; the ones after it are taken.
    const q = recordingQueue((call) => call >= 2 && call <= 1 + tries);
    const report = await enqueueReporting(q.env, Array.from({ length: n }, (_, i) => item(i)));
    expect(q.calls.map((c) => c.messages)).toEqual([100, 10]);
    expect(q.calls.flatMap((c) => c.deliveries)).toEqual(Array.from({ length: n }, (_, i) => `dlv_big_${i}`).filter((_, i) => i < 1_000 || i >= 2_000));
    expect(report.sent).toBe(1_100);
    expect(report.unsent.map((u) => u.delivery_id)).toEqual(Array.from({ length: 1_000 }, (_, i) => `dlv_big_${1_000 + i}`));
  });

  it("keeps each message within 64 KB and each call within 256 KB when bodies are large", async () => {
    const body = "x".repeat(30_000);
    const q = recordingQueue(() => false);
    const report = await enqueueReporting(q.env, Array.from({ length: 20 }, (_, i) => item(i, body)));
    expect(report).toMatchObject({ sent: 20, unsent: [] });
    expect(q.calls.flatMap((c) => c.deliveries)).toHaveLength(20);
    for (const c of q.calls) expect(c.bytes).toBeLessThanOrEqual(256 * 1024);
    // Two 30 KB bodies to a message (a queue operation is billed per 64 KB), so ten messages.
    expect(q.calls.reduce((sum, c) => sum + c.messages, 0)).toBe(10);
  });
});

describe("the sweep drains a backlog", () => {
  it("enqueues more than one page of overdue deliveries in one run, each once", { timeout: 60_000 }, async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("drain")) });
    const now = Date.now();
    const scope = { organisationId: org.id, webhookId: wh.id, day: dayOf(now) };
    const log = deliveryLog(env, org.id, wh.id, scope.day);
    // Deliveries that fell out of the queue (their events are not needed to enqueue them), made
    // by the partition's own accept: never attempted (due at creation, found above the sweep's
    // mark), in a day's earliest hour (overdue), more than one page of the due index's
    // (1,000) too: as retries whose due time passed long ago.
    const revisionId = (await env.DB.prepare("SELECT revision_id FROM webhooks WHERE id = ?").bind(wh.id).first<string>("revision_id"))!;
    const created = Math.max(scope.day * 86_400_000, now - staleAfter(env) - 60_000) - 120_000;
    const fresh = 1_200;
    const retried = 2_500;
    const newOnes = Array.from({ length: fresh + retried }, (_, i) => {
      const at = Math.max(scope.day * 86_400_000, created - i);
      return { id: newId("dlv", at), event_id: `evt_drain_${i}`, event: "verification.completed", revision_id: revisionId, status: "pending" as const, created_at: at };
    });
    for (let i = 0; i < newOnes.length; i += 500) expect(await log.accept(scope, newOnes.slice(i, i + 500))).toHaveLength(Math.min(500, newOnes.length - i));
    const overdueRetry = created + 1;
    await runInDurableObject(log, (_o, state) => {
      const ids = newOnes.slice(fresh).map((d) => d.id);
      for (let i = 0; i < ids.length; i += 90) {
        const part = ids.slice(i, i + 90);
        state.storage.sql.exec(`UPDATE deliveries SET attempts = 1, next_attempt_at = MAX(?1, created_at + 1) WHERE id IN (${part.map((_, j) => `?${j + 2}`).join(",")})`, overdueRetry, ...part);
      }
    });
    // The queue is a recording double here: these deliveries are counted, not sent.
    const enqueued: string[] = [];
    const sends: { at: number; size: number }[] = [];
    const sendBatch = async (m: Iterable<{ body: DeliveryMessage | DeliveryPack }>) => {
      const messages = [...m];
      sends.push({ at: Date.now(), size: messages.length });
      enqueued.push(...messages.flatMap((x) => (x.body.kind === "deliveries" ? x.body.deliveries.map((d) => d.delivery_id) : [x.body.delivery_id])));
    };
    const recording = { ...env, DELIVERY_QUEUE: { sendBatch } as unknown as Queue };
    const sweep = () => runInDurableObject(log, (_o, state) => sweepPartition(logOf(state.storage), recording, scope, Date.now()));
    const started = Date.now();
    const report = await sweep();
    console.log(JSON.stringify({ swept: report.requeued.length, ms: Date.now() - started }));
    expect(report.requeued).toHaveLength(fresh + retried);
    expect(enqueued).toHaveLength(fresh + retried);
    expect(new Set(enqueued)).toEqual(new Set(newOnes.map((d) => d.id)));
    // Paced in messages (the queue's limit is messages/s): no second carries more than the pace
    // (one chunk of slack), far under the queue's 5,000/s.
    const busiest = Math.max(...sends.map((s) => sends.filter((t) => t.at >= s.at && t.at < s.at + 1_000).reduce((sum, t) => sum + t.size, 0)));
    expect(busiest).toBeLessThanOrEqual(PACE_PER_SECOND + 100);
    // Nothing is left overdue, so the next run has nothing to send twice.
    expect((await sweep()).requeued).toEqual([]);
    expect(enqueued).toHaveLength(fresh + retried);
    // Ended, so that the partition's own alarm leaves them alone.
    await runInDurableObject(log, (_o, state) => void state.storage.sql.exec("UPDATE deliveries SET status = 'failed'"));
  });
});

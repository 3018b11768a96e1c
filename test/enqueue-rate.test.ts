import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PACE_PER_SECOND, RETRY_PAUSES_MS } from "../src/delivery/enqueue";
import { replaySkipped } from "../src/delivery/replay";
import { STALE_AFTER_MS, SWEEP_PAGE, sweepOverdue } from "../src/delivery/sweep";
import { activate, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { count, deliveriesOf } from "./helpers/db";
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
  expect(await count("deliveries", "webhook_id = ? AND status = 'skipped'", wh.id)).toBe(n);
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

describe("a replay larger than one sendBatch, with a queue that throws", () => {
  it("retries the chunk that threw, goes on with the rest, and sends every delivery exactly once", { timeout: 60_000 }, async () => {
    const { org, wh, b } = await skippedBacklog(250);
    // Call 2 (the second chunk) throws twice before it is taken; call 5 (the third chunk) once.
    const q = refusingQueue((call) => call === 2 || call === 3 || call === 5);
    expect(await replaySkipped(q.env, org.id, wh.id)).toBe(250);
    expect(q.calls).toEqual([100, 0, 0, 100, 0, 50]);
    await expectEachReceivedOnce(b, wh.id, 250);
  });

  it("leaves a chunk the queue refuses on every try pending for the sweeper, which sends it once", { timeout: 60_000 }, async () => {
    const { org, wh, b } = await skippedBacklog(250);
    const tries = RETRY_PAUSES_MS.length + 1;
    const q = refusingQueue((call) => call >= 2 && call <= 1 + tries);
    expect(await replaySkipped(q.env, org.id, wh.id)).toBe(250);
    // The first and third chunks went; the second is still pending, out of the queue.
    await waitFor(async () => ((await received(b)).length >= 150 ? true : undefined), 30_000);
    await waitFor(async () => (await count("deliveries", "webhook_id = ? AND status = 'success'", wh.id)) === 150 || undefined);
    expect(await count("deliveries", "webhook_id = ? AND status = 'pending'", wh.id)).toBe(100);
    expect(await sweepOverdue(env, Date.now() + STALE_AFTER_MS + 1_000)).toBe(100);
    await expectEachReceivedOnce(b, wh.id, 250);
  });
});

describe("the sweeper drains a backlog", () => {
  it("enqueues more than one page of overdue deliveries in one run, each once", { timeout: 60_000 }, async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("drain")) });
    const n = Math.round(SWEEP_PAGE * 2.5);
    const overdue = Date.now() - STALE_AFTER_MS - 60_000;
    // Deliveries that fell out of the queue (their events' rows are not needed to enqueue them).
    await env.DB.prepare(
      `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?4)
       INSERT INTO deliveries (id, organisation_id, webhook_id, revision_id, event_id, event, status, attempts, next_attempt_at, test, created_at, updated_at)
       SELECT 'dlv_drain_' || i, ?1, ?2, w.revision_id, 'evt_drain_' || i, 'verification.completed', 'pending', 0, ?3, 0, ?3, ?3
         FROM k, webhooks w WHERE w.id = ?2`,
    ).bind(org.id, wh.id, overdue, n).run();
    // The queue is a recording double here: these deliveries are counted, not sent.
    const enqueued: string[] = [];
    const sends: { at: number; size: number }[] = [];
    const sendBatch = async (m: Iterable<{ body: { delivery_id: string } }>) => {
      const ids = [...m].map((x) => x.body.delivery_id);
      sends.push({ at: Date.now(), size: ids.length });
      enqueued.push(...ids);
    };
    const recording = { ...env, DELIVERY_QUEUE: { sendBatch } as unknown as Queue };
    const started = Date.now();
    expect(await sweepOverdue(recording, Date.now())).toBe(n);
    console.log(JSON.stringify({ swept: n, ms: Date.now() - started }));
    expect(enqueued).toHaveLength(n);
    expect(new Set(enqueued).size).toBe(n);
    // Paced: no second of the run carries more than the pace (one chunk of slack), far under the queue's 5,000/s.
    const busiest = Math.max(...sends.map((s) => sends.filter((t) => t.at >= s.at && t.at < s.at + 1_000).reduce((sum, t) => sum + t.size, 0)));
    expect(busiest).toBeLessThanOrEqual(PACE_PER_SECOND + 100);
    // Nothing is left overdue, so the next run has nothing to send twice.
    expect(await sweepOverdue(recording, Date.now())).toBe(0);
    await env.DB.prepare("UPDATE deliveries SET status = 'failed' WHERE webhook_id = ?").bind(wh.id).run();
  });
});

/**
 * Concurrent duplicates of one event_id through the ingest route (issue 15): every copy reaches
 * the same EventShard, which stores the event once with one set of delivery ids, and each
 * webhook's partition inserts its delivery once however many requests complete the fan-out.
 * The webhooks are new, so the copies also race to create the shard's day table, each
 * partition and its registration at the head.
 */
import { describe, expect, it } from "vitest";
import { activate, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { attemptsOf, deliveriesOf, eventsOf, partitionsOf } from "./helpers/db";
import { bucket, received, receiverUrl } from "./helpers/receivers";

const COPIES = 25;

describe("concurrent duplicates of one event_id", () => {
  it("store one event and one delivery per webhook, send each once, and answer every copy the same", { timeout: 30_000 }, async () => {
    const org = await createOrganisation();
    const [ba, bb, bp] = [bucket("dup-a"), bucket("dup-b"), bucket("dup-p")];
    const a = await createWebhook(org.api_key, { url: receiverUrl("http", ba) });
    const b = await createWebhook(org.api_key, { url: receiverUrl("http", bb) });
    const p = await createWebhook(org.api_key, { url: receiverUrl("http", bp) });
    for (const w of [a, b, p]) await activate(org.api_key, w.id);
    await expectStatus(200, "POST", `/v1/webhooks/${p.id}/pause`, { token: org.api_key });

    const eventId = `evt_dup_${org.id}`;
    const body = { event: "verification.completed", organisation_id: org.id, data: sampleCompleted, event_id: eventId };
    const answers = await Promise.all(Array.from({ length: COPIES }, () => ingest(body)));
    for (const x of answers) expect(x.status, JSON.stringify(x.body)).toBe(202);
    expect(new Set(answers.map((x) => JSON.stringify(x.body))).size).toBe(1);
    expect(answers[0]!.body).toEqual({ event_id: eventId, deliveries: 3, skipped: 1 });

    // One event, with one delivery id per webhook.
    const events = await eventsOf(org.id);
    expect(events.map((e) => e.id)).toEqual([eventId]);
    const fanout = events[0]!.fanout;
    expect(fanout.map((f) => [f.webhook_id, f.status]).sort()).toEqual([[a.id, "pending"], [b.id, "pending"], [p.id, "skipped"]].sort());
    expect(new Set(fanout.map((f) => f.delivery_id)).size).toBe(3);
    const idOf = (webhookId: string) => fanout.find((f) => f.webhook_id === webhookId)!.delivery_id;

    // Each active webhook: one request, carrying that delivery id, and nothing more after a while.
    for (const bk of [ba, bb]) await waitFor(async () => ((await received(bk)).length ? true : undefined));
    await waitFor(async () => ((await deliveriesOf(a.id)).every((d) => d.status === "success") && (await deliveriesOf(b.id)).every((d) => d.status === "success") ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    for (const [w, bk] of [[a, ba], [b, bb]] as const) {
      const reqs = await received(bk);
      expect(reqs.map((r) => r.headers["x-delivery-id"])).toEqual([idOf(w.id)]);
      expect(await deliveriesOf(w.id)).toEqual([{ id: idOf(w.id), event_id: eventId, event: "verification.completed", status: "success", attempts: 1 }]);
      expect((await attemptsOf(w.id)).map((x) => [x.delivery_id, x.attempt, x.status])).toEqual([[idOf(w.id), 1, "success"]]);
      expect(await partitionsOf(w.id)).toHaveLength(1);
    }
    // The paused one: one skipped delivery with its one logged skip, nothing sent.
    expect(await deliveriesOf(p.id)).toEqual([{ id: idOf(p.id), event_id: eventId, event: "verification.completed", status: "skipped", attempts: 0 }]);
    expect((await attemptsOf(p.id)).map((x) => [x.delivery_id, x.attempt, x.status, x.error_code])).toEqual([[idOf(p.id), 1, "skipped", "paused"]]);
    expect(await received(bp)).toEqual([]);

    // Later copies: the same answer, still nothing new; another body under the id is refused.
    expect((await ingest(body)).body).toEqual(answers[0]!.body);
    const other = await ingest({ ...body, data: { ...sampleCompleted, confidence: 0.1 } });
    expect(other.status).toBe(409);
    expect((await eventsOf(org.id)).map((e) => e.id)).toEqual([eventId]);
    expect((await deliveriesOf(a.id)).map((d) => d.id)).toEqual([idOf(a.id)]);
  });
});

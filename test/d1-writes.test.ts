/**
 * Issue 15: nothing that grows with traffic is written to D1. Ingest and delivery write no D1
 * row at all; the one D1 write traffic causes is the webhook's summary for lists, written by its
 * head's alarm at most once per SUMMARY_REFRESH_MS (src/durable/head/summary.ts), off the
 * delivery path. D1's writes are counted by triggers on every table (./helpers/d1-writes.ts),
 * which see a write from any caller, an object's included.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { KEYS } from "../src/durable/head/state";
import { refreshMs } from "../src/durable/head/summary";
import { healthStub } from "../src/durable/health-client";
import { dayOf } from "../src/storage/partitions";
import { deliveryLog } from "../src/storage/stubs";
import { activate, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { startWindow, unwatchD1Writes, type D1Write } from "./helpers/d1-writes";
import { attemptsOf, deliveriesOf } from "./helpers/db";
import { bucket, received, receiverUrl } from "./helpers/receivers";

afterAll(() => unwatchD1Writes());

const N = 30;

/**
 * The head's summary refresh writes, per run, the webhook's row of webhook_stats and its
 * failure_streak, in that order (one batch): told apart from any other write, which fails.
 */
function split(writes: D1Write[], organisationId: number, webhookId: string) {
  const summary = ["total", "successful", "failed", "last_success_at", "last_failure_at", "last_triggered_at"];
  const isStats = (w: D1Write) =>
    w.table === "webhook_stats" && w.op === "UPDATE" && w.row.organisation_id === organisationId && w.row.webhook_id === webhookId && w.changed.every((c) => summary.includes(c));
  const isStreak = (w: D1Write) =>
    w.table === "webhooks" && w.op === "UPDATE" && w.row.organisation_id === organisationId && w.row.id === webhookId && w.changed.every((c) => c === "failure_streak");
  const refresh: D1Write[] = [];
  const other: D1Write[] = [];
  for (let i = 0; i < writes.length; i++) {
    if (isStats(writes[i]!) && writes[i + 1] && isStreak(writes[i + 1]!)) refresh.push(writes[i]!, writes[++i]!);
    else other.push(writes[i]!);
  }
  return { refresh, other };
}

describe("D1 writes on the ingest and delivery paths", () => {
  it("are none but the summary refresh's: N events delivered (and skipped for a paused subscriber, and sent again as duplicates)", { timeout: 60_000 }, async () => {
    const org = await createOrganisation();
    const b = bucket("d1w");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b) });
    const paused = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("d1w-paused")) });
    await activate(org.api_key, wh.id);
    await activate(org.api_key, paused.id);
    await expectStatus(200, "POST", `/v1/webhooks/${paused.id}/pause`, { token: org.api_key });

    const window = await startWindow();
    const opened = Date.now();
    const events = Array.from({ length: N }, (_, i) => ({ event: "verification.completed", organisation_id: org.id, data: { ...sampleCompleted, verification_id: `ver_${i}` }, event_id: `evt_d1w_${i}` }));
    const answers = await Promise.all(events.map((e) => ingest(e)));
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(202);
    // Duplicates: answered from the shard, nothing new anywhere.
    for (const e of events.slice(0, 3)) expect((await ingest(e)).status).toBe(202);
    await waitFor(async () => ((await received(b)).length >= N ? true : undefined), 30_000);
    await waitFor(async () => {
      const d = await deliveriesOf(wh.id, org.id);
      return d.length === N && d.every((x) => x.status === "success") ? true : undefined;
    }, 20_000);
    expect((await attemptsOf(paused.id, org.id)).map((a) => a.status)).toEqual(Array.from({ length: N }, () => "skipped"));
    // The consumer's last steps after the record (head, ack) have a moment to run.
    await new Promise((r) => setTimeout(r, 500));

    const writes = await window.writes();
    const elapsed = Date.now() - opened;
    const { refresh, other } = split(writes, org.id, wh.id);
    // The summary refresh may have run in the window (SUMMARY_REFRESH_MS is short in tests):
    // at most once per interval, two rows each, however many events came in.
    const refreshes = refresh.length / 2;
    console.log(JSON.stringify({ events: N, windowMs: elapsed, refreshMs: refreshMs(env), d1Writes: writes.length, refreshes, otherWrites: other.length }));
    expect(other).toEqual([]);
    expect(refreshes).toBeLessThanOrEqual(Math.ceil(elapsed / refreshMs(env)) + 1);

    // The counter sees a write: one made by an object (as the head's would be), and one that
    // writes the value already there (billed all the same, invisible to a digest of the rows).
    const seen = writes.length;
    const day = dayOf(Date.now());
    await runInDurableObject(deliveryLog(env, org.id, wh.id, day), async (instance) => {
      const db = (instance as unknown as { env: typeof env }).env.DB;
      await db.prepare("UPDATE webhooks SET name = name WHERE id = ?").bind(wh.id).run();
    });
    const deliberate = (await window.writes()).slice(seen);
    expect(split(deliberate, org.id, wh.id).other).toEqual([{ table: "webhooks", op: "UPDATE", row: { organisation_id: org.id, id: wh.id }, changed: [] }]);

    // The refresh that is still armed, brought forward if it is not due yet: the summary is
    // right, and its writes are the summary's only.
    const head = healthStub(env, org.id, wh.id);
    const armed = await runInDurableObject(head, (_o, state) => {
      const at = state.storage.kv.get<number>(KEYS.refreshAt);
      if (at !== undefined) state.storage.kv.put(KEYS.refreshAt, Date.now());
      return at !== undefined;
    });
    if (armed) await runDurableObjectAlarm(head);
    await waitFor(async () => ((await env.DB.prepare("SELECT successful FROM webhook_stats WHERE webhook_id = ?").bind(wh.id).first<number>("successful")) === N ? true : undefined), 5_000);
    expect(split(await window.writes(), org.id, wh.id).other).toEqual(deliberate);
    const summary = await env.DB.prepare("SELECT total, successful, failed FROM webhook_stats WHERE webhook_id = ?").bind(wh.id).first();
    expect(summary).toEqual({ total: N, successful: N, failed: 0 });
  });
});

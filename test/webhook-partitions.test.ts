/**
 * The webhook's head (WebhookHealth) over its partitions: the list of days, retention that folds
 * a partition's totals into the archived ones before dropping it (and tries again when it
 * refuses), the summary it writes to D1 for lists, and the drop of every partition when the
 * webhook is deleted. Real DeliveryLog partitions through their bindings. The head's alarm is
 * run with runDurableObjectAlarm until the expected state shows (the runtime may be running it
 * already: SUMMARY_REFRESH_MS is short here), and a retention retry is brought forward by
 * writing its time in the head's storage, as if the hour had passed.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { healthStub } from "../src/durable/health-client";
import { newId } from "../src/lib/ids";
import type { AttemptWrite, LogScope } from "../src/storage/contract";
import { DAY_MS, dayOf } from "../src/storage/partitions";
import { deliveryLog } from "../src/storage/stubs";
import { refreshMs } from "../src/durable/head/summary";
import { activate, createOrganisation, createWebhook, waitFor } from "./helpers/api";

type Head = ReturnType<typeof healthStub>;

const fresh = () => ({ org: 800_000 + Math.floor(Math.random() * 100_000), wh: newId("wh") });
const scope = (org: number, wh: string, day: number): LogScope => ({ organisationId: org, webhookId: wh, day });

const attempt = (deliveryId: string, at: number, status: "success" | "failed"): AttemptWrite => ({
  id: newId("att", at),
  delivery_id: deliveryId,
  attempt: 1,
  status,
  response_code: status === "success" ? 200 : 500,
  response_time_ms: 40,
  error_code: status === "success" ? null : "http_5xx",
  error: status === "success" ? null : "HTTP 500",
  created_at: at,
  next_attempt_at: null,
  revision_id: "rev_t",
  signed_headers: null,
  response_content_type: null,
  response_body: null,
});

/** A delivery created at `at` in its webhook's partition, ended with one attempt (or left pending). */
async function delivery(org: number, wh: string, at: number, end: "success" | "failed" | "pending") {
  const s = scope(org, wh, dayOf(at));
  const id = newId("dlv", at);
  const log = deliveryLog(env, org, wh, s.day);
  await log.accept(s, [{ id, event_id: newId("evt", at), event: "verification.completed", revision_id: "rev_t", status: "pending", created_at: at }]);
  if (end !== "pending") expect(await log.record(s, [attempt(id, at + 1_000, end)])).toEqual([id]);
  return id;
}

const kv = <T>(head: Head, key: string) => runInDurableObject(head, (_o, state) => state.storage.kv.get<T>(key));
const setKv = (head: Head, key: string, value: unknown) =>
  runInDurableObject(head, (_o, state) => (value === undefined ? void state.storage.kv.delete(key) : state.storage.kv.put(key, value)));

/**
 * Retention waits (as after a run that left something) while a test builds partitions of days
 * already past it: otherwise the head's alarm, due at once, could run between a partition's
 * registration and its first insert.
 */
const holdRetention = (head: Head) => setKv(head, "retention_retry_at", Date.now() + DAY_MS);
const retentionNow = (head: Head) => setKv(head, "retention_retry_at", Date.now() - 1);

/** Runs the head's alarm (or lets the runtime's, under way, finish) until `check` holds. */
const alarmUntil = <T>(head: Head, check: () => Promise<T | undefined | false | null>) =>
  waitFor(async () => {
    await runDurableObjectAlarm(head);
    return check();
  }, 5_000, 50);

const tablesOf = (org: number, wh: string, day: number) =>
  runInDurableObject(deliveryLog(env, org, wh, day), (_o, state) =>
    state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").one().n,
  );

describe("the head's partitions", () => {
  it("lists each registered day once, ascending; nothing archived at first", async () => {
    const { org, wh } = fresh();
    const head = healthStub(env, org, wh);
    const today = dayOf(Date.now());
    await head.addPartition(org, wh, today);
    await head.addPartition(org, wh, today - 2);
    await head.addPartition(org, wh, today);
    expect(await head.partitions()).toEqual([today - 2, today]);
    expect(await head.archived()).toEqual({ total: 0, successful: 0, failed: 0, last_success_at: null, last_failure_at: null, last_triggered_at: null, latency: [] });
  });

  it("is told of a partition by its first write", async () => {
    const { org, wh } = fresh();
    await delivery(org, wh, Date.now(), "success");
    expect(await healthStub(env, org, wh).partitions()).toEqual([dayOf(Date.now())]);
  });
});

describe("retention of partitions", () => {
  it("folds an expired partition's totals into the archived ones, drops it, and keeps the live ones", async () => {
    const { org, wh } = fresh();
    const head = healthStub(env, org, wh);
    const now = Date.now();
    const old = now - 40 * DAY_MS;
    await head.addPartition(org, wh, dayOf(now));
    await holdRetention(head);
    await delivery(org, wh, old, "success");
    await delivery(org, wh, old + 5_000, "failed");
    await delivery(org, wh, now, "success");
    const oldTotals = await deliveryLog(env, org, wh, dayOf(old)).totals(scope(org, wh, dayOf(old)));
    expect(oldTotals).toMatchObject({ total: 2, successful: 1, failed: 1, last_success_at: old + 1_000, last_failure_at: old + 6_000 });
    expect(await head.partitions()).toEqual([dayOf(old), dayOf(now)]);

    await retentionNow(head);
    await alarmUntil(head, async () => (await kv<unknown[]>(head, "dropping"))?.length === 0);
    expect(await head.partitions()).toEqual([dayOf(now)]);
    expect(await head.archived()).toEqual(oldTotals);
    expect(await tablesOf(org, wh, dayOf(old))).toBe(0);
    expect(await tablesOf(org, wh, dayOf(now))).toBeGreaterThan(0);
    // Nothing left to retry: the next run is the live partition's expiry, at most a day away.
    expect(await kv(head, "retention_retry_at")).toBeUndefined();
    const alarm = await runInDurableObject(head, (_o, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(Date.now() + DAY_MS);
  });

  it("tries again a partition that refused (a delivery pending), and folds in what it counted meanwhile", async () => {
    const { org, wh } = fresh();
    const head = healthStub(env, org, wh);
    const old = Date.now() - 40 * DAY_MS;
    const s = scope(org, wh, dayOf(old));
    await head.addPartition(org, wh, dayOf(Date.now()));
    await holdRetention(head);
    await delivery(org, wh, old, "success");
    const pending = await delivery(org, wh, old + 5_000, "pending");

    await retentionNow(head);
    await alarmUntil(head, async () => (await kv<{ tries: number }[]>(head, "dropping"))?.[0]?.tries === 1);
    expect(await head.partitions()).toEqual([dayOf(Date.now())]);
    expect(await head.archived()).toMatchObject({ total: 1, successful: 1, failed: 0 });
    expect(await kv<{ day: number; tries: number }[]>(head, "dropping")).toEqual([expect.objectContaining({ day: s.day, tries: 1 })]);
    expect(await kv<number>(head, "retention_retry_at")).toBeGreaterThan(Date.now());
    expect(await tablesOf(org, wh, s.day)).toBeGreaterThan(0);

    // The pending delivery ends; the retry (an hour later) counts it and drops the partition.
    expect(await deliveryLog(env, org, wh, s.day).record(s, [attempt(pending, old + 9_000, "failed")])).toEqual([pending]);
    await retentionNow(head);
    await alarmUntil(head, async () => (await kv<unknown[]>(head, "dropping"))?.length === 0);
    expect(await head.archived()).toMatchObject({ total: 2, successful: 1, failed: 1, last_success_at: old + 1_000, last_failure_at: old + 9_000 });
    expect(await tablesOf(org, wh, s.day)).toBe(0);

    // A run after the drop (its answer lost, say) folds nothing more: the emptied partition counts nothing.
    await runInDurableObject(head, (_o, state) => state.storage.kv.put("dropping", [{ day: s.day, folded: { total: 1, successful: 0, failed: 1, last_success_at: null, last_failure_at: old + 9_000, last_triggered_at: old + 9_000, latency: [] }, tries: 1 }]));
    await retentionNow(head);
    await alarmUntil(head, async () => (await kv<unknown[]>(head, "dropping"))?.length === 0);
    expect(await head.archived()).toMatchObject({ total: 2, successful: 1, failed: 1 });
  });
});

describe("the summary in D1", () => {
  const summary = (id: string) =>
    env.DB.prepare("SELECT total, successful, failed, last_success_at, last_failure_at, last_triggered_at FROM webhook_stats WHERE webhook_id = ?").bind(id).first();
  const streakInD1 = (id: string) => env.DB.prepare("SELECT failure_streak FROM webhooks WHERE id = ?").bind(id).first<number>("failure_streak");

  it("is written by the alarm after activity (SUMMARY_REFRESH_MS): archived plus live totals, and the streak", async () => {
    const org = await createOrganisation();
    const hook = await createWebhook(org.api_key);
    await activate(org.api_key, hook.id);
    const head = healthStub(env, org.id, hook.id);
    const now = Date.now();
    // Noted twice before the refresh: one refresh, armed by the first.
    const [first, second] = await runInDurableObject(head, async (o, state) => {
      await o.noteActivity(org.id, hook.id);
      const armed = state.storage.kv.get<number>("refresh_at");
      await o.noteActivity(org.id, hook.id);
      return [armed, state.storage.kv.get<number>("refresh_at")];
    });
    expect(first).toBe(second);
    expect(first).toBeLessThanOrEqual(Date.now() + refreshMs(env));

    // As if retention had folded in an older partition of 5 successes.
    await setKv(head, "archived", { total: 5, successful: 5, failed: 0, last_success_at: now - 40 * DAY_MS, last_failure_at: null, last_triggered_at: now - 40 * DAY_MS, latency: [5] });
    // The partition notes its own activity as it records: no call from the test needed.
    await delivery(org.id, hook.id, now - 60_000, "success");
    await delivery(org.id, hook.id, now - 30_000, "failed");
    await head.recordFailure(org.id, hook.id, "dlv_x", 1);
    const expected = { total: 7, successful: 6, failed: 1, last_success_at: now - 59_000, last_failure_at: now - 29_000, last_triggered_at: now - 29_000 };
    await waitFor(async () => (await summary(hook.id))?.total === 7, 5_000, 50);
    expect(await summary(hook.id)).toEqual(expected);
    expect(await streakInD1(hook.id)).toBe(1);

    // A streak lost on its way to D1 is put right by the next refresh.
    await env.DB.prepare("UPDATE webhooks SET failure_streak = 7 WHERE id = ?").bind(hook.id).run();
    await head.noteActivity(org.id, hook.id);
    await waitFor(async () => (await streakInD1(hook.id)) === 1, 5_000, 50);
    expect(await summary(hook.id)).toEqual(expected);
  });
});

describe("the summary refresh's reads", () => {
  const total = async (id: string) => (await env.DB.prepare("SELECT total FROM webhook_stats WHERE webhook_id = ?").bind(id).first<number>("total")) ?? 0;
  /** Totals changed behind the head's back: no word of activity, so only a refresh that reads this partition sees them. */
  const silently = (org: number, wh: string, day: number, more: number) =>
    runInDurableObject(deliveryLog(env, org, wh, day), (_o, state) => void state.storage.sql.exec("UPDATE totals SET total = total + ?, successful = successful + ?", more, more));

  it("are the partitions that noted activity since the last refresh; every partition again hourly, or on a word that names no day", async () => {
    const org = await createOrganisation();
    const hook = await createWebhook(org.api_key);
    await activate(org.api_key, hook.id);
    const head = healthStub(env, org.id, hook.id);
    await holdRetention(head);
    const now = Date.now();
    const [yesterday, today] = [dayOf(now - DAY_MS), dayOf(now)];
    await delivery(org.id, hook.id, now - DAY_MS, "success");
    await delivery(org.id, hook.id, now - 60_000, "success");
    // The first refresh reads both (nothing kept yet), and keeps their totals.
    await waitFor(async () => (await total(hook.id)) === 2, 5_000, 50);
    expect(await runInDurableObject(head, (o) => [...o.reads.dayTotals.keys()].sort())).toEqual([yesterday, today]);

    // Today's partition notes activity: only today's is read, yesterday's kept totals stand.
    await silently(org.id, hook.id, yesterday, 100);
    await delivery(org.id, hook.id, now - 30_000, "success");
    await waitFor(async () => (await total(hook.id)) >= 3, 5_000, 50);
    expect(await total(hook.id)).toBe(3);

    // An hour after the last full read, a refresh reads every partition.
    await runInDurableObject(head, (o) => void (o.reads.fullReadAt = Date.now() - 3_600_001));
    await head.noteActivity(org.id, hook.id, today);
    await waitFor(async () => (await total(hook.id)) === 103, 5_000, 50);

    // A word that names no day does too.
    await silently(org.id, hook.id, yesterday, 1000);
    await head.noteActivity(org.id, hook.id);
    await waitFor(async () => (await total(hook.id)) === 1103, 5_000, 50);

    // Kept in memory only: a head that restarts has kept nothing, and its first refresh reads every partition.
    await silently(org.id, hook.id, yesterday, 10_000);
    await runInDurableObject(head, (o) => void o.reads.dayTotals.clear());
    await head.noteActivity(org.id, hook.id, today);
    await waitFor(async () => (await total(hook.id)) === 11_103, 5_000, 50);
  });
});

describe("forget", () => {
  it("drops every partition, pending deliveries too, then the head's own storage", async () => {
    const { org, wh } = fresh();
    const head = healthStub(env, org, wh);
    const now = Date.now();
    await delivery(org, wh, now - DAY_MS, "success");
    await delivery(org, wh, now, "pending");
    await head.recordFailure(org, wh, "dlv_y", 1);
    await head.forget();
    expect(await head.partitions()).toEqual([]);
    // The drops are the alarm's, due at once.
    const empty = async () => {
      const left = await runInDurableObject(head, async (_o, state) => ({ keys: [...state.storage.kv.list()].length, alarm: await state.storage.getAlarm() }));
      return left.keys === 0 && left.alarm === null;
    };
    await alarmUntil(head, empty);
    expect(await tablesOf(org, wh, dayOf(now - DAY_MS))).toBe(0);
    expect(await tablesOf(org, wh, dayOf(now))).toBe(0);
  });
});

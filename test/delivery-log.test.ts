/**
 * The DeliveryLog object (src/durable/delivery-log/): one webhook's deliveries, attempts, totals
 * and rollups for one day, called through its real binding. The rules are the D1 version's
 * (src/delivery/record.ts, the attempts_count and deliveries_skipped_log triggers, the log page,
 * resend, replay, recovery and sweep queries before issue 15); the meter prices a delivery.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { DeliveryLog } from "../src/durable/delivery-log/object";
import { pageQuery } from "../src/durable/delivery-log/page";
import { signedHeaders } from "../src/delivery/signing-headers";
import { newId } from "../src/lib/ids";
import type { AttemptRecord, AttemptWrite, LogFilter, LogScope, NewDelivery, Position } from "../src/storage/contract";
import { DAY_MS, dayOf } from "../src/storage/partitions";
import { deliveryLog } from "../src/storage/stubs";
import { LATENCY_BOUNDS_MS } from "../src/stats/latency";

const bucketOf = (ms: number) => LATENCY_BOUNDS_MS.filter((b) => b <= ms).length;
const noLatency = () => new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);

/** Today (the head's retention would drop an old day under the test), from 01:00 UTC. */
const DAY = dayOf(Date.now());
const T0 = DAY * DAY_MS + 3_600_000;

let n = 0;
function partition(day = DAY) {
  const organisationId = 800_000 + Math.floor(Math.random() * 90_000) * 10 + (++n % 10);
  const webhookId = newId("wh");
  const scope: LogScope = { organisationId, webhookId, day };
  return { scope, log: deliveryLog(env, organisationId, webhookId, day) };
}

const delivery = (at: number, over: Partial<NewDelivery> = {}): NewDelivery => ({
  id: newId("dlv", at),
  event_id: newId("evt", at),
  event: "verification.completed",
  revision_id: "rev_first",
  status: "pending",
  created_at: at,
  ...over,
});

/** The message of a call's error (caught here, so the pool does not report it as unhandled). */
const refused = (p: Promise<unknown>) => p.then(() => "resolved", (err: unknown) => String(err));

const write = (d: { id: string }, attempt: number, status: AttemptWrite["status"], at: number, over: Partial<AttemptWrite> = {}): AttemptWrite => ({
  id: newId("att", at),
  delivery_id: d.id,
  attempt,
  status,
  response_code: status === "success" ? 200 : status === "skipped" ? null : 500,
  response_time_ms: status === "skipped" ? null : 120,
  error_code: status === "success" ? null : status === "skipped" ? "paused" : "http_error",
  error: status === "success" ? null : status === "skipped" ? "The webhook was paused" : "HTTP 500",
  created_at: at,
  next_attempt_at: status === "retrying" ? at + 2_000 : null,
  revision_id: status === "skipped" ? null : "rev_first",
  signed_headers: status === "skipped" ? null : '[["webhook-signature","v1,••••"]]',
  response_content_type: status === "success" ? "text/plain" : null,
  response_body: status === "success" ? "ok" : null,
  ...over,
});

describe("DeliveryLog.accept", () => {
  it("inserts each delivery once and answers only the newly pending ones", async () => {
    const { scope, log } = partition();
    const a = delivery(T0);
    const b = delivery(T0 + 1);
    const paused = delivery(T0 + 2, { status: "skipped" });
    expect(await log.accept(scope, [a, b, paused])).toEqual([a.id, b.id]);
    // A repeated call (a retried ingest) inserts nothing and answers nothing to enqueue.
    expect(await log.accept(scope, [a, b, paused])).toEqual([]);

    const states = await log.load(scope, [a.id, b.id, paused.id, "dlv_missing"]);
    expect(states.map((s) => [s.id, s.status, s.attempts, s.next_attempt_at])).toEqual([
      [a.id, "pending", 0, a.created_at],
      [b.id, "pending", 0, b.created_at],
      [paused.id, "skipped", 0, null],
    ]);
    expect(states[0]).toMatchObject({ organisation_id: scope.organisationId, webhook_id: scope.webhookId, revision_id: "rev_first", test: 0, call: 0, last_attempt: null, updated_at: a.created_at });

    // The skipped one logged its skip (as the D1 trigger did), once; skips are not counted.
    const detail = await log.detail(scope, paused.id);
    expect(detail!.attempts).toEqual([
      expect.objectContaining({ attempt: 1, status: "skipped", error_code: "paused", error: "The webhook was paused", revision_id: null, created_at: paused.created_at }),
    ]);
    expect(await log.totals(scope)).toEqual({ total: 0, successful: 0, failed: 0, last_success_at: null, last_failure_at: null, last_triggered_at: null, latency: noLatency() });
  });

  it("refuses a delivery whose id does not carry its creation time, or of another day, and another partition's scope", async () => {
    const { scope, log } = partition();
    expect(await refused(log.accept(scope, [{ ...delivery(T0), created_at: T0 + 5 }]))).toMatch(/must be the time its id carries/);
    expect(await refused(log.accept(scope, [delivery(T0 - DAY_MS)]))).toMatch(/not this partition's day/);
    await log.accept(scope, [delivery(T0)]);
    expect(await refused(log.load({ ...scope, webhookId: "wh_other" }, []))).toMatch(/this partition is/);
  });

  it("answers empty reads without creating anything in a partition that was never written", async () => {
    const { scope, log } = partition();
    expect(await log.load(scope, ["dlv_x"])).toEqual([]);
    expect(await log.detail(scope, "dlv_x")).toBeNull();
    expect(await log.record(scope, [write({ id: "dlv_x" }, 1, "success", T0)])).toEqual([]);
    expect(await log.page(scope, {}, null, 10)).toEqual([]);
    const tables = await runInDurableObject(log, (_o, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray());
    expect(tables).toEqual([]);
  });
});

describe("DeliveryLog.record", () => {
  it("logs an attempt only from the state it started from, and is idempotent on the attempt id", async () => {
    const { scope, log } = partition();
    const d = delivery(T0);
    await log.accept(scope, [d]);

    const first = write(d, 1, "retrying", T0 + 100);
    expect(await log.record(scope, [first])).toEqual([d.id]);
    expect((await log.load(scope, [d.id]))[0]).toMatchObject({ status: "pending", attempts: 1, next_attempt_at: T0 + 2_100 });
    // The same call again (it committed, the caller did not hear): won again, logged and counted once.
    expect(await log.record(scope, [first])).toEqual([d.id]);
    // A duplicate message's attempt 1 (another id), or an attempt out of turn: not won, not logged.
    expect(await log.record(scope, [write(d, 1, "success", T0 + 150)])).toEqual([]);
    expect(await log.record(scope, [write(d, 3, "success", T0 + 160)])).toEqual([]);
    expect(await log.record(scope, [write(d, 2, "success", T0 + 2_100)])).toEqual([d.id]);
    expect((await log.load(scope, [d.id]))[0]).toMatchObject({ status: "success", attempts: 2, next_attempt_at: null });
    // Ended: nothing moves it.
    expect(await log.record(scope, [write(d, 3, "failed", T0 + 5_000)])).toEqual([]);
    expect((await log.detail(scope, d.id))!.attempts.map((a) => [a.attempt, a.status])).toEqual([[1, "retrying"], [2, "success"]]);
    expect(await log.totals(scope)).toMatchObject({ total: 2, successful: 1, failed: 1 });
    expect(await log.record(scope, [write({ id: "dlv_unknown" }, 1, "success", T0)])).toEqual([]);
  });

  it("logs a skip as attempts + 1 without using an attempt up, and does not count it", async () => {
    const { scope, log } = partition();
    const d = delivery(T0);
    await log.accept(scope, [d]);
    await log.record(scope, [write(d, 1, "retrying", T0 + 10)]);
    expect(await log.record(scope, [write(d, 2, "skipped", T0 + 2_000)])).toEqual([d.id]);
    expect((await log.load(scope, [d.id]))[0]).toMatchObject({ status: "skipped", attempts: 1, next_attempt_at: null });
    expect(await log.totals(scope)).toMatchObject({ total: 1, failed: 1, last_triggered_at: T0 + 10 });
    // Replayed, it gets attempt 2 again: the skip used nothing up.
    const [replayed] = await log.replaySkipped(scope, 10, T0 + 3_000);
    expect(replayed).toEqual({ delivery_id: d.id, attempt: 2, event_id: d.event_id });
    expect(await log.record(scope, [write(d, 2, "success", T0 + 3_100)])).toEqual([d.id]);
    expect((await log.detail(scope, d.id))!.attempts.map((a) => [a.attempt, a.status])).toEqual([[1, "retrying"], [2, "skipped"], [2, "success"]]);
    expect(await log.lastAttempt(scope, d.id)).toEqual({ attempt: 2, error_code: null, response_code: 200 });
  });

  it("handles a batch of several deliveries and attempts of one delivery in order", async () => {
    const { scope, log } = partition();
    const ds = [delivery(T0), delivery(T0 + 1), delivery(T0 + 2)];
    await log.accept(scope, ds);
    const won = await log.record(scope, [
      write(ds[0]!, 1, "retrying", T0 + 10),
      write(ds[0]!, 2, "failed", T0 + 2_010),
      write(ds[1]!, 1, "success", T0 + 11),
      write(ds[2]!, 2, "success", T0 + 12), // out of turn
    ]);
    expect(won.sort()).toEqual([ds[0]!.id, ds[1]!.id].sort());
    expect((await log.load(scope, ds.map((d) => d.id))).map((s) => [s.status, s.attempts])).toEqual([["failed", 2], ["success", 1], ["pending", 0]]);
    expect(await log.lastAttempt(scope, ds[0]!.id)).toEqual({ attempt: 2, error_code: "http_error", response_code: 500 });
    expect(await log.lastAttempt(scope, ds[2]!.id)).toBeNull();
  });
});

describe("DeliveryLog totals and rollups", () => {
  it("count as the statistics always did: test sends and skips left out, anything but a success a failure", async () => {
    const { scope, log } = partition();
    const minute = Math.floor(T0 / 60_000);
    const ok = delivery(T0);
    const bad = delivery(T0 + 1);
    const retried = delivery(T0 + 2);
    const skipped = delivery(T0 + 3);
    await log.accept(scope, [ok, bad, retried, skipped]);
    await log.record(scope, [
      write(ok, 1, "success", T0 + 100, { response_time_ms: 7 }),
      write(bad, 1, "failed", T0 + 200, { response_time_ms: 1_300 }),
      write(retried, 1, "retrying", T0 + 60_000, { response_time_ms: null, response_code: null, error_code: "timeout" }),
      write(skipped, 1, "skipped", T0 + 60_100),
    ]);
    // A test send does not count; a check does (as the trigger counted every attempt with test = 0).
    const testSend = { id: newId("dlv", T0 + 5), event_id: newId("evt", T0 + 5), event: "webhook.test", revision_id: "rev_first", test: true, created_at: T0 + 5 };
    await log.logCall(scope, testSend, write(testSend, 1, "success", T0 + 120_000, { response_time_ms: 3 }));
    const check = { ...testSend, id: newId("dlv", T0 + 6), event: "verification.check", test: false, created_at: T0 + 6 };
    const checkAttempt = write(check, 1, "success", T0 + 120_500, { response_time_ms: 40 });
    await log.logCall(scope, check, checkAttempt);
    // logCall is idempotent on the delivery id: a retried call counts nothing twice.
    await log.logCall(scope, check, { ...checkAttempt, id: newId("att", T0 + 120_500) });

    const latency = noLatency();
    for (const t of [7, 1_300, 40]) latency[bucketOf(t)]! += 1;
    expect(await log.totals(scope)).toEqual({
      total: 4,
      successful: 2,
      failed: 2,
      last_success_at: T0 + 120_500,
      last_failure_at: T0 + 60_000,
      last_triggered_at: T0 + 120_500,
      latency,
    });
    const at = (...ms: number[]) => {
      const l = noLatency();
      for (const t of ms) l[bucketOf(t)]! += 1;
      return l;
    };
    expect(await log.rollups(scope, minute, minute + 2)).toEqual([
      { minute, success: 1, failed: 1, latency: at(7, 1_300) },
      { minute: minute + 1, success: 0, failed: 1, latency: at() },
      { minute: minute + 2, success: 1, failed: 0, latency: at(40) },
    ]);
    expect(await log.rollups(scope, minute + 1, minute + 1)).toHaveLength(1);
    expect((await log.detail(scope, testSend.id))!.delivery).toMatchObject({ status: "success", attempts: 1, test: 1, call: 1 });
  });
});

describe("DeliveryLog.page", () => {
  /** 60 attempts over 20 deliveries: times interleaved, three events, all statuses. */
  async function seeded() {
    const { scope, log } = partition();
    const events = ["a.one", "b.two", "c.three"];
    const ds = Array.from({ length: 20 }, (_, i) => delivery(T0 + i, { event: events[i % 3]! }));
    await log.accept(scope, ds);
    const writes: AttemptWrite[] = [];
    ds.forEach((d, i) => {
      if (i % 4 === 3) return writes.push(write(d, 1, "skipped", T0 + 1_000 + i * 7));
      writes.push(write(d, 1, "retrying", T0 + 1_000 + i * 7));
      writes.push(write(d, 2, i % 3 === 0 ? "failed" : "success", T0 + 2_000 + i * 5));
    });
    // Two attempts in the same millisecond, the newest: the id orders them.
    const late = [delivery(T0 + 30, { event: "a.one" }), delivery(T0 + 31, { event: "a.one" })];
    await log.accept(scope, late);
    writes.push(...late.map((d) => write(d, 1, "success", T0 + 9_000)));
    await log.record(scope, writes);
    const all = (await runInDurableObject(log, (_o, state) =>
      // The event is the delivery's (an attempt row does not repeat it).
      state.storage.sql.exec("SELECT a.id, a.delivery_id, d.event, a.status, a.created_at FROM attempts a JOIN deliveries d ON d.id = a.delivery_id").toArray(),
    )) as unknown as Pick<AttemptRecord, "id" | "delivery_id" | "event" | "status" | "created_at">[];
    const newestFirst = [...all].sort((x, y) => y.created_at - x.created_at || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0));
    return { scope, log, newestFirst };
  }

  async function pages(log: ReturnType<typeof deliveryLog>, scope: LogScope, f: LogFilter, limit: number) {
    const out: AttemptRecord[] = [];
    let after: Position | null = null;
    for (;;) {
      const page: AttemptRecord[] = await log.page(scope, f, after, limit);
      out.push(...page);
      if (page.length < limit) return out;
      after = { createdAt: page.at(-1)!.created_at, id: page.at(-1)!.id };
    }
  }

  it("is newest first on (created_at, id), pages by cursor without repeats, and filters like the D1 list", async () => {
    const { scope, log, newestFirst } = await seeded();
    expect(newestFirst.length).toBeGreaterThan(30);
    const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
    expect(ids(await pages(log, scope, {}, 7))).toEqual(ids(newestFirst));
    for (const status of ["success", "failed", "retrying", "skipped"] as const) {
      expect(ids(await pages(log, scope, { status }, 4))).toEqual(ids(newestFirst.filter((r) => r.status === status)));
    }
    expect(ids(await pages(log, scope, { event: "b.two" }, 5))).toEqual(ids(newestFirst.filter((r) => r.event === "b.two")));
    expect(ids(await pages(log, scope, { event: "a.one", status: "failed" }, 2))).toEqual(ids(newestFirst.filter((r) => r.event === "a.one" && r.status === "failed")));
    const from = T0 + 1_050;
    const to = T0 + 2_040;
    expect(ids(await pages(log, scope, { from, to }, 3))).toEqual(ids(newestFirst.filter((r) => r.created_at >= from && r.created_at <= to)));
    // A cursor above `to` (not from this list): `to` bounds the page.
    const above = await log.page(scope, { to }, { createdAt: T0 + 100_000, id: "att_z" }, 100);
    expect(ids(above)).toEqual(ids(newestFirst.filter((r) => r.created_at <= to)));

    const first = (await log.page(scope, {}, null, 1))[0]!;
    expect(first).toEqual({
      id: newestFirst[0]!.id, delivery_id: newestFirst[0]!.delivery_id, event_id: expect.any(String), event: newestFirst[0]!.event,
      attempt: 1, status: "success", response_code: 200, response_time_ms: 120, error_code: null, error: null, test: 0, created_at: T0 + 9_000,
    });
  });

  it("reads only the rows of the status asked for through the partial index", async () => {
    const { scope, log, newestFirst } = await seeded();
    const failed = newestFirst.filter((r) => r.status === "failed");
    const before = await log.meter();
    const page = await log.page(scope, { status: "failed" }, null, 3);
    const after = await log.meter();
    expect(page.map((r) => r.id)).toEqual(failed.slice(0, 3).map((r) => r.id));
    // Each row: its index entry and its table row; no pass over the successes and retries.
    expect(after.rowsRead - before.rowsRead).toBeLessThanOrEqual(2 * 3 + 2);
    expect(after.rowsWritten - before.rowsWritten).toBe(0);
  });

  it("joins each row to its delivery by primary key, in the attempts' order, with no sort", async () => {
    const { log } = await seeded();
    const filters: LogFilter[] = [{}, { status: "success" }, { status: "failed" }, { event: "a.one" }, { event: "a.one", status: "failed", from: T0, to: T0 + 5_000 }];
    const plans = await runInDurableObject(log, (_o, state) =>
      filters.map((f) => {
        const q = pageQuery(f, { createdAt: T0 + 3_000, id: "att_m" }, 10);
        return state.storage.sql.exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${q.sql}`, ...q.params).toArray().map((r) => r.detail);
      }),
    );
    for (const [i, plan] of plans.entries()) {
      // The attempts are the outer loop (a range of their key or of the partial index), the delivery a key lookup per row.
      expect(plan[0], JSON.stringify(filters[i])).toMatch(/^SEARCH a USING (PRIMARY KEY|INDEX attempts_unsuccessful) /);
      expect(plan.slice(1), JSON.stringify(filters[i])).toEqual(["SEARCH d USING PRIMARY KEY (id=?)"]);
    }
  });
});

describe("DeliveryLog.detail", () => {
  it("shows the delivery and each attempt in attempt order, with what its request is rebuilt from", async () => {
    const { scope, log } = partition();
    const d = delivery(T0);
    await log.accept(scope, [d]);
    const one = write(d, 1, "retrying", T0 + 10, { response_body: "busy", response_content_type: "text/plain" });
    const two = write(d, 2, "success", T0 + 2_010, { revision_id: "rev_first", signed_headers: '[["webhook-signature","v1,ab••"]]' });
    await log.record(scope, [one]);
    await log.record(scope, [two]);
    const detail = await log.detail(scope, d.id);
    expect(detail!.delivery).toMatchObject({ id: d.id, event_id: d.event_id, event: d.event, status: "success", attempts: 2, organisation_id: scope.organisationId });
    const shown = (a: AttemptWrite) => ({
      id: a.id, attempt: a.attempt, status: a.status, response_code: a.response_code, response_time_ms: a.response_time_ms,
      response_content_type: a.response_content_type, response_body: a.response_body, error_code: a.error_code, error: a.error,
      created_at: a.created_at, signed_headers: a.signed_headers, revision_id: a.revision_id,
    });
    expect(detail!.attempts).toEqual([shown(one), shown(two)]);
    expect(await log.detail(scope, "dlv_nothere")).toBeNull();
  });
});

describe("DeliveryLog attempt rows", () => {
  /** The signing headers as src/delivery/build-request.ts sets them and the consumer logs them (masked JSON pairs). */
  const signing = (deliveryId: string, at: number, rotating: boolean, over: Record<string, string> = {}) => {
    const h = new Headers({ "x-nafsi-signature": `sha256=${"ab12".repeat(16)}` });
    if (rotating) h.set("x-nafsi-signature-next", `sha256=${"cd34".repeat(16)}`);
    h.set("webhook-id", deliveryId);
    h.set("webhook-timestamp", String(Math.floor(at / 1000)));
    h.set("webhook-signature", rotating ? `v1,${"Qk9C".repeat(11)}= v1,${"YWxp".repeat(11)}=` : `v1,${"Zm9v".repeat(11)}=`);
    for (const [name, value] of Object.entries(over)) h.set(name, value);
    return signedHeaders(h);
  };
  const stored = (log: ReturnType<typeof deliveryLog>, deliveryId: string) =>
    runInDurableObject(log, (_o, state) => ({
      delivery: state.storage.sql.exec("SELECT revision_id, origin_revision_id, attempt_keys FROM deliveries WHERE id = ?", deliveryId).one(),
      attempts: state.storage.sql.exec("SELECT revision_id, signed_headers FROM attempts WHERE delivery_id = ? ORDER BY attempt", deliveryId).toArray(),
    }));

  it("keeps only what the delivery does not hold, and the detail shows each attempt whole, across resends to other revisions", async () => {
    const { scope, log } = partition();
    const d = delivery(T0);
    await log.accept(scope, [d]);
    const one = write(d, 1, "failed", T0 + 10, { signed_headers: signing(d.id, T0 + 10, false) });
    await log.record(scope, [one]);
    // Re-sent with another revision (a rotation's overlap: both signatures), then back with the first.
    await log.resend(scope, [d.id], "rev_second", { now: T0 + 4_000 });
    const two = write(d, 2, "failed", T0 + 5_000, { revision_id: "rev_second", signed_headers: signing(d.id, T0 + 5_000, true) });
    await log.record(scope, [two]);
    await log.resend(scope, [d.id], "rev_first", { now: T0 + 6_000 });
    // A timestamp not of the attempt's time: nothing to derive it from, kept as it came.
    const three = write(d, 3, "success", T0 + 7_000, { signed_headers: signing(d.id, T0 + 7_000, false, { "webhook-timestamp": "12" }) });
    await log.record(scope, [three]);
    const skipped = delivery(T0 + 20, { status: "skipped" });
    // Not JSON pairs at all: kept and shown as it came.
    const odd = delivery(T0 + 30);
    const oddAttempt = write(odd, 1, "success", T0 + 40, { signed_headers: "i t" });
    await log.accept(scope, [skipped, odd]);
    await log.record(scope, [oddAttempt]);
    expect((await log.detail(scope, odd.id))!.attempts[0]!.signed_headers).toBe("i t");

    const detail = await log.detail(scope, d.id);
    expect(detail!.attempts.map((a) => [a.revision_id, a.signed_headers])).toEqual([one, two, three].map((a) => [a.revision_id, a.signed_headers]));
    expect((await log.detail(scope, skipped.id))!.attempts.map((a) => [a.revision_id, a.signed_headers])).toEqual([[null, null]]);
    const page = await log.page(scope, {}, null, 10);
    const eventOf = new Map([d, skipped, odd].map((x) => [x.id, x.event_id]));
    expect(page.map((r) => [r.event_id, r.event, r.test])).toEqual(page.map((r) => [eventOf.get(r.delivery_id), d.event, 0]));

    const rows = await stored(log, d.id);
    // The delivery keeps its first revision once a resend changed it; its attempts name a revision only when it is another.
    expect(rows.delivery).toMatchObject({ revision_id: "rev_first", origin_revision_id: "rev_first" });
    expect(rows.attempts.map((a) => a.revision_id)).toEqual([null, "rev_second", null]);
    expect(rows.delivery.attempt_keys).toBe([one, two, three].map((a) => a.id.slice(4)).join(" "));
    // Signing headers: the signatures' last four characters (or the value, where the masking left it whole) and which headers were sent.
    expect(rows.attempts.map((a) => a.signed_headers)).toEqual(["nab12 i t sm9v=", "nab12 xcd34 i t sWxp=", three.signed_headers]);
    expect((await stored(log, skipped.id)).attempts.map((a) => a.revision_id)).toEqual([""]);
  });
});

describe("DeliveryLog resend, replay and recovery", () => {
  it("resends ended deliveries once more, leaves pending ones and calls alone, and counts a job's own again", async () => {
    const { scope, log } = partition();
    const [ok, bad, pending] = [delivery(T0), delivery(T0 + 1), delivery(T0 + 2)];
    await log.accept(scope, [ok, bad, pending]);
    await log.record(scope, [write(ok, 1, "success", T0 + 10), write(bad, 1, "failed", T0 + 11)]);
    const call = { id: newId("dlv", T0 + 3), event_id: "evt_call", event: "webhook.test", revision_id: "rev_first", test: true, created_at: T0 + 3 };
    await log.logCall(scope, call, write(call, 1, "failed", T0 + 3));

    const now = Date.now();
    const answer = await log.resend(scope, [ok.id, bad.id, pending.id, call.id, "dlv_unknown"], "rev_second", { now });
    expect(answer.alreadyByJob).toBe(0);
    expect(answer.resent.sort((a, b) => (a.delivery_id < b.delivery_id ? -1 : 1))).toEqual([
      { delivery_id: ok.id, attempt: 2, event_id: ok.event_id },
      { delivery_id: bad.id, attempt: 2, event_id: bad.event_id },
    ]);
    expect((await log.load(scope, [ok.id]))[0]).toMatchObject({ status: "pending", attempts: 1, last_attempt: 2, revision_id: "rev_second", next_attempt_at: now, updated_at: now });
    // Pending now: a second resend takes nothing.
    expect((await log.resend(scope, [ok.id], "rev_second", { now })).resent).toEqual([]);
  });

  it("with endedBefore takes only failed or skipped ones ended before it; a job redone finds its own as already re-sent", async () => {
    const { scope, log } = partition();
    const [ok, bad, skipped] = [delivery(T0), delivery(T0 + 1), delivery(T0 + 2, { status: "skipped" })];
    await log.accept(scope, [ok, bad, skipped]);
    await log.record(scope, [write(ok, 1, "success", T0 + 10), write(bad, 1, "failed", T0 + 11)]);
    const jobStart = Date.now() + 1_000;
    const q = { since: T0, until: T0 + DAY_MS, after: { createdAt: T0, id: "" }, endedBefore: jobStart, limit: 10 };
    expect(await log.recoverable(scope, q)).toEqual([{ id: bad.id, created_at: bad.created_at }, { id: skipped.id, created_at: skipped.created_at }]);
    expect(await log.countRecoverable(scope, q)).toBe(2);

    const ids = [ok.id, bad.id, skipped.id];
    const first = await log.resend(scope, ids, "rev_second", { endedBefore: jobStart, jobId: "rcv_1", now: jobStart + 1 });
    expect(first.resent.map((r) => r.delivery_id).sort()).toEqual([bad.id, skipped.id].sort());
    expect(first.alreadyByJob).toBe(0);
    // The step dies before its checkpoint and is redone: the page still shows what the job sent
    // (with its job id), and the resend sends nothing and counts them.
    expect(await log.recoverable(scope, { ...q, jobId: "rcv_1" })).toEqual([{ id: bad.id, created_at: bad.created_at }, { id: skipped.id, created_at: skipped.created_at }]);
    expect(await log.recoverable(scope, q)).toEqual([]);
    const again = await log.resend(scope, ids, "rev_second", { endedBefore: jobStart, jobId: "rcv_1", now: jobStart + 2 });
    expect(again).toEqual({ resent: [], alreadyByJob: 2 });
  });

  it("pages recoverable deliveries in (created_at, id) order from a cursor, within [since, until)", async () => {
    const { scope, log } = partition();
    const ds = Array.from({ length: 12 }, (_, i) => delivery(T0 + i * 1_000));
    await log.accept(scope, ds);
    await log.record(scope, ds.map((d, i) => write(d, 1, i % 3 === 0 ? "success" : "failed", T0 + i * 1_000 + 10)));
    const bad = ds.filter((_, i) => i % 3 !== 0);
    const base = { since: T0 + 1_000, until: T0 + 10_000, endedBefore: Date.now() + 60_000 };
    const inRange = bad.filter((d) => d.created_at >= base.since && d.created_at < base.until);
    const got: { id: string; created_at: number }[] = [];
    let after: Position = { createdAt: base.since, id: "" };
    for (;;) {
      const page = await log.recoverable(scope, { ...base, after, limit: 2 });
      got.push(...page);
      if (page.length < 2) break;
      after = { createdAt: page.at(-1)!.created_at, id: page.at(-1)!.id };
    }
    expect(got.map((r) => r.id)).toEqual(inRange.map((d) => d.id));
    expect(await log.countRecoverable(scope, base)).toBe(inRange.length);
    expect(await log.countRecoverable(scope, { ...base, endedBefore: 0 })).toBe(0);
  });

  it("replays skipped deliveries only, up to the limit, each with its attempt count and revision", async () => {
    const { scope, log } = partition();
    const skipped = [delivery(T0, { status: "skipped" }), delivery(T0 + 1, { status: "skipped" }), delivery(T0 + 2, { status: "skipped" })];
    const failed = delivery(T0 + 3);
    await log.accept(scope, [...skipped, failed]);
    await log.record(scope, [write(failed, 1, "failed", T0 + 10)]);
    const now = Date.now();
    const first = await log.replaySkipped(scope, 2, now);
    expect(first).toEqual(skipped.slice(0, 2).map((d) => ({ delivery_id: d.id, attempt: 1, event_id: d.event_id })));
    const rest = await log.replaySkipped(scope, 10, now);
    expect(rest.map((r) => r.delivery_id)).toEqual([skipped[2]!.id]);
    expect(await log.replaySkipped(scope, 10, now)).toEqual([]);
    expect((await log.load(scope, [skipped[0]!.id, failed.id])).map((s) => [s.status, s.next_attempt_at, s.revision_id])).toEqual([
      ["pending", now, "rev_first"],
      ["failed", null, "rev_first"],
    ]);
  });
});

describe("DeliveryLog sweep and drop", () => {
  const sweep = (log: ReturnType<typeof deliveryLog>, now: number) => runInDurableObject(log, (o: DeliveryLog) => o.sweep(now));

  it("re-enqueues pending deliveries overdue by STALE once, and stops when nothing is pending", async () => {
    // The sweep's clock is its argument: ten minutes into today (all of it the partition's day).
    const now = T0 + 600_000;
    const { scope, log } = partition();
    // Never attempted, created 3 minutes ago; created just now; a retry due 90 s ago; one ended.
    const old = delivery(now - 180_000);
    const recent = delivery(now - 1_000);
    const retry = delivery(now - 170_000);
    const ended = delivery(now - 160_000);
    await log.accept(scope, [old, recent, retry, ended]);
    await log.record(scope, [write(retry, 1, "retrying", now - 169_000, { next_attempt_at: now - 90_000 }), write(ended, 1, "success", now - 159_000)]);
    expect(await runInDurableObject(log, (_o, state) => state.storage.getAlarm())).not.toBeNull();

    const report = await sweep(log, now);
    expect(report!.requeued.map((r) => r.delivery_id).sort()).toEqual([old.id, retry.id].sort());
    expect(report!.requeued.find((r) => r.delivery_id === retry.id)).toEqual({ delivery_id: retry.id, attempt: 2, event_id: retry.event_id });
    expect(report!.unsent).toBe(0);
    expect(report!.next).not.toBeNull();
    expect((await log.load(scope, [old.id]))[0]!.next_attempt_at).toBe(now);
    // Not picked twice: their due time moved to now.
    expect((await sweep(log, now + 1_000))!.requeued).toEqual([]);
    // A STALE later: the two sent again, and the recent one, overdue by now too.
    expect((await sweep(log, now + 61_000))!.requeued.map((r) => r.delivery_id).sort()).toEqual([old.id, recent.id, retry.id].sort());

    // While anything is pending the partition cannot be dropped (unless forced).
    expect(await log.drop()).toBe(false);
    const pending = (await log.load(scope, [old.id, recent.id, retry.id])).filter((s) => s.status === "pending");
    await log.record(scope, pending.map((s) => write(s, s.attempts + 1, "success", now + 1)));
    const last = await sweep(log, now + 600_000);
    expect(last!.requeued).toEqual([]);
    expect(last!.next).toBeNull();
    expect(await runInDurableObject(log, (_o, state) => state.storage.getAlarm())).toBeNull();

    expect(await log.drop()).toBe(true);
    expect(await log.load(scope, [old.id])).toEqual([]);
    expect(await log.totals(scope)).toMatchObject({ total: 0 });
  });

  it("reads each delivery once across its runs (the low-water mark), not the table per run", async () => {
    const { scope, log } = partition();
    const ds = Array.from({ length: 300 }, (_, i) => delivery(T0 + i));
    await log.accept(scope, ds);
    await log.record(scope, ds.map((d) => write(d, 1, "success", d.created_at + 50)));
    const m0 = await log.meter();
    expect((await sweep(log, T0 + 600_000))!.requeued).toEqual([]);
    const m1 = await log.meter();
    expect((await sweep(log, T0 + 700_000))!.next).toBeNull();
    const m2 = await log.meter();
    expect(m1.rowsRead - m0.rowsRead).toBeGreaterThanOrEqual(300);
    expect(m1.rowsRead - m0.rowsRead).toBeLessThan(320);
    // The next run starts past the mark: a handful of reads (the mark, the two probes), however big the day.
    expect(m2.rowsRead - m1.rowsRead).toBeLessThanOrEqual(10);
  });

  it("drops a partition with pending deliveries when forced, and starts over on a later write", async () => {
    const { scope, log } = partition();
    const d = delivery(T0);
    await log.accept(scope, [d]);
    expect(await log.drop()).toBe(false);
    expect(await log.drop(true)).toBe(true);
    const left = await runInDurableObject(log, async (_o, state) => [state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray(), await state.storage.getAlarm()]);
    expect(left).toEqual([[], null]);
    expect(await log.accept(scope, [d])).toEqual([d.id]);
  });
});

describe("DeliveryLog.meter", () => {
  it("prices a successful delivery: 1 row at accept, 4 at record (attempt, delivery, totals, rollup)", async () => {
    const { scope, log } = partition();
    const at = T0 + 30_000;
    // The partition's first write also creates its schema and stores its scope: priced apart.
    const first = delivery(at - 10);
    const m0 = await log.meter();
    await log.accept(scope, [first]);
    await log.record(scope, [write(first, 1, "success", at - 5)]);
    const m1 = await log.meter();

    const d = delivery(at);
    await log.accept(scope, [d]);
    const m2 = await log.meter();
    await log.record(scope, [write(d, 1, "success", at + 1)]);
    const m3 = await log.meter();

    // A batch of ten in one record() call, one minute: the totals and rollup rows are written once.
    const batch = Array.from({ length: 10 }, (_, i) => delivery(at + 10 + i));
    await log.accept(scope, batch);
    const m4 = await log.meter();
    await log.record(scope, batch.map((b, i) => write(b, 1, "success", at + 100 + i)));
    const m5 = await log.meter();

    const rows = (a: { rowsWritten: number }, b: { rowsWritten: number }) => b.rowsWritten - a.rowsWritten;
    console.log(JSON.stringify({
      first_delivery_of_partition: rows(m0, m1),
      accept: rows(m1, m2), record: rows(m2, m3), per_delivery: rows(m1, m3),
      batch_of_10_accept: rows(m3, m4), batch_of_10_record: rows(m4, m5), batch_per_delivery: rows(m3, m5) / 10,
      reads_per_delivery: m3.rowsRead - m1.rowsRead,
    }));
    expect(rows(m1, m2)).toBe(1);
    expect(rows(m2, m3)).toBe(4);
    expect(rows(m3, m4)).toBe(10);
    expect(rows(m4, m5)).toBe(2 * 10 + 2);
  });
});

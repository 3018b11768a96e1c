/**
 * The DeliveryLog object (src/durable/delivery-log/): one webhook's deliveries, attempts, totals
 * and rollups for one day, called through its real binding. The rules are the D1 version's
 * (src/delivery/record.ts, the attempts_count and deliveries_skipped_log triggers, the log page,
 * resend, replay, recovery and sweep queries before issue 15); the meter prices a delivery.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DeliveryLog } from "../src/durable/delivery-log/object";
import { pageQuery } from "../src/durable/delivery-log/page";
import { newId } from "../src/lib/ids";
import type { AttemptRecord, AttemptWrite, LogFilter, LogScope, Position } from "../src/storage/contract";
import { DAY_MS } from "../src/storage/partitions";
import { deliveryLog } from "../src/storage/stubs";
import { bucketOf, delivery, noLatency, partition, refused, T0, write } from "./helpers/partition-fixtures";

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

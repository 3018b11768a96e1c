/**
 * The DeliveryLog object's jobs: resend, replay and recovery pages, its sweep alarm and drop,
 * and the meter that prices a delivery (test/delivery-log.test.ts has the log itself).
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DeliveryLog } from "../src/durable/delivery-log/object";
import { newId } from "../src/lib/ids";
import type { Position } from "../src/storage/contract";
import { DAY_MS } from "../src/storage/partitions";
import { deliveryLog } from "../src/storage/stubs";
import { delivery, partition, T0, write } from "./helpers/partition-fixtures";

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

/**
 * A delivery's prompt successful first attempt is kept in its delivery's row, with no row of
 * attempts (src/durable/delivery-log/first-attempt.ts). Whatever the mix of kept attempts and
 * attempt rows, the log reads as if every attempt had its row: the same pages, in the same order,
 * under every filter and cursor; the detail, the last attempt and a retried call the same.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { KEPT_WITHIN_MS } from "../src/durable/delivery-log/first-attempt";
import { applySchema } from "../src/durable/delivery-log/setup";
import type { AttemptRecord, AttemptWrite, LogFilter, LogScope, NewDelivery, Position } from "../src/storage/contract";
import type { deliveryLog } from "../src/storage/stubs";
import { delivery, partition, T0, write } from "./helpers/partition-fixtures";

type Log = ReturnType<typeof deliveryLog>;

/** xorshift32: the same partition every run. */
function random(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const attemptRows = (log: Log) => runInDurableObject(log, (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM attempts").one().n);

async function pages(log: Log, scope: LogScope, f: LogFilter, limit: number) {
  const out: AttemptRecord[] = [];
  let after: Position | null = null;
  for (;;) {
    const page: AttemptRecord[] = await log.page(scope, f, after, limit);
    out.push(...page);
    if (page.length < limit) return out;
    after = { createdAt: page.at(-1)!.created_at, id: page.at(-1)!.id };
  }
}

const newestFirst = (a: { created_at: number; id: string }, b: { created_at: number; id: string }) =>
  b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * 160 deliveries a few hundred ms apart, each one of: a prompt success (kept), a success later
 * than KEPT_WITHIN_MS (a row), a failure then a success, a failure to the end, a stored pending
 * delivery that then succeeds (a row: its row was not written with it), a skip. First attempts
 * are often made after later deliveries' creation, so the two orders cross.
 */
async function mixed(seed: number) {
  const rnd = random(seed);
  const { scope, log } = partition();
  const events = ["a.one", "b.two", "c.three"];
  const expected: (AttemptRecord & { event: string })[] = [];
  const kinds = ["kept", "kept", "kept", "late", "retried", "failed", "stored", "skipped"] as const;
  const stored: NewDelivery[] = [];
  const calls: { writes: AttemptWrite[]; fresh: NewDelivery[] }[] = [];
  for (let i = 0; i < 160; i++) {
    const created = T0 + i * 300 + Math.floor(rnd() * 200);
    const kind = kinds[Math.floor(rnd() * kinds.length)]!;
    const d = delivery(created, { event: events[Math.floor(rnd() * 3)]!, ...(kind === "skipped" ? { status: "skipped" as const } : {}) });
    const log1 = (w: AttemptWrite) => expected.push({ ...recordOf(w, d) });
    if (kind === "skipped" || kind === "stored") stored.push(d);
    if (kind === "skipped") {
      expected.push({ ...recordOf(write(d, 1, "skipped", created), d), id: "?" });
      continue;
    }
    // Kept: anywhere in the window, its edges included.
    const lag = kind === "kept" ? [0, KEPT_WITHIN_MS, Math.floor(rnd() * KEPT_WITHIN_MS)][i % 3]! : kind === "late" ? KEPT_WITHIN_MS + 1 + Math.floor(rnd() * 20_000) : Math.floor(rnd() * 3_000);
    const first = write(d, 1, kind === "retried" || kind === "failed" ? "retrying" : "success", created + lag);
    log1(first);
    const writes = [first];
    if (kind === "retried" || kind === "failed") {
      const second = write(d, 2, kind === "retried" ? "success" : "failed", created + lag + 2_000 + Math.floor(rnd() * 1_000));
      log1(second);
      writes.push(second);
    }
    calls.push({ writes, fresh: kind === "stored" ? [] : [d] });
  }
  await log.accept(scope, stored);
  // Each delivery's attempts in turn, as the consumer would call: the first with its delivery.
  for (const c of calls) expect(await log.record(scope, [c.writes[0]!], c.fresh)).toEqual([c.writes[0]!.delivery_id]);
  for (const c of calls) if (c.writes[1]) expect(await log.record(scope, [c.writes[1]])).toEqual([c.writes[1].delivery_id]);
  // A skip's attempt id is the partition's: read it from the detail.
  for (const e of expected.filter((x) => x.id === "?")) e.id = (await log.detail(scope, e.delivery_id))!.attempts[0]!.id;
  return { scope, log, expected: expected.sort(newestFirst), kept: calls.filter((c) => c.fresh.length && c.writes.length === 1 && c.writes[0]!.created_at - (c.fresh[0]!.created_at) <= KEPT_WITHIN_MS).length };
}

function recordOf(w: AttemptWrite, d: NewDelivery): AttemptRecord {
  return {
    id: w.id, delivery_id: d.id, event_id: d.event_id, event: d.event, attempt: w.attempt, status: w.status, response_code: w.response_code,
    response_time_ms: w.response_time_ms, error_code: w.error_code, error: w.error, test: 0, created_at: w.created_at,
  };
}

describe("first attempts kept in their delivery's row", () => {
  it("reads the same log as if every attempt had its row: every filter, page size and cursor", { timeout: 120_000 }, async () => {
    for (const seed of [7, 1234]) {
      const { scope, log, expected, kept } = await mixed(seed);
      // The test means something only if both kinds are there, and the orders cross.
      expect(kept).toBeGreaterThan(30);
      expect(await attemptRows(log)).toBe(expected.length - kept);
      const full = await pages(log, scope, {}, 500);
      expect(full).toEqual(expected);
      for (const limit of [1, 3, 7, 50]) expect(await pages(log, scope, {}, limit), `limit ${limit}`).toEqual(expected);
      for (const status of ["success", "failed", "retrying", "skipped"] as const) {
        expect(await pages(log, scope, { status }, 4), status).toEqual(expected.filter((r) => r.status === status));
      }
      expect(await pages(log, scope, { event: "b.two" }, 5)).toEqual(expected.filter((r) => r.event === "b.two"));
      expect(await pages(log, scope, { event: "a.one", status: "success" }, 3)).toEqual(expected.filter((r) => r.event === "a.one" && r.status === "success"));
      const from = T0 + 9_000;
      const to = T0 + 30_000;
      expect(await pages(log, scope, { from, to }, 6)).toEqual(expected.filter((r) => r.created_at >= from && r.created_at <= to));
      expect(await pages(log, scope, { from, status: "success" }, 6)).toEqual(expected.filter((r) => r.created_at >= from && r.status === "success"));
      // A cursor above `to` (not from this list): `to` bounds the page.
      expect(await log.page(scope, { to }, { createdAt: T0 + 10_000_000, id: "att_z" }, 1_000)).toEqual(expected.filter((r) => r.created_at <= to));
    }
  });

  it("shows a kept attempt in the detail and as the last attempt, and a resend's attempt after it", async () => {
    const { scope, log } = partition();
    const d = delivery(T0);
    const first = write(d, 1, "success", T0 + 40, { response_body: '{"ok":true}', response_content_type: "application/json", response_code: 201 });
    expect(await log.record(scope, [first], [d])).toEqual([d.id]);
    expect(await attemptRows(log)).toBe(0);
    const shown = {
      id: first.id, attempt: 1, status: "success", response_code: 201, response_time_ms: 120, response_content_type: "application/json",
      response_body: '{"ok":true}', error_code: null, error: null, created_at: T0 + 40, signed_headers: first.signed_headers, revision_id: "rev_first",
    };
    expect((await log.detail(scope, d.id))!.attempts).toEqual([shown]);
    expect(await log.lastAttempt(scope, d.id)).toEqual({ attempt: 1, error_code: null, response_code: 201 });

    // The same call again (it committed, the caller did not hear): won, counted once; another message's attempt 1: not won.
    expect(await log.record(scope, [first], [d])).toEqual([d.id]);
    expect(await log.record(scope, [write(d, 1, "success", T0 + 60)], [d])).toEqual([]);
    expect((await log.totals(scope)).successful).toBe(1);

    // Resent with another revision: the kept attempt still names the one it was sent with.
    const { resent } = await log.resend(scope, [d.id], "rev_second", { now: T0 + 5_000 });
    expect(resent).toEqual([{ delivery_id: d.id, attempt: 2, event_id: d.event_id }]);
    const again = write(d, 2, "failed", T0 + 5_100, { revision_id: "rev_second" });
    expect(await log.record(scope, [again])).toEqual([d.id]);
    const detail = (await log.detail(scope, d.id))!;
    expect(detail.attempts.map((a) => [a.id, a.attempt, a.status, a.revision_id])).toEqual([[first.id, 1, "success", "rev_first"], [again.id, 2, "failed", "rev_second"]]);
    expect(await log.lastAttempt(scope, d.id)).toEqual({ attempt: 2, error_code: "http_error", response_code: 500 });
    expect((await log.page(scope, {}, null, 10)).map((r) => [r.id, r.status])).toEqual([[again.id, "failed"], [first.id, "success"]]);
  });

  it("keeps only a prompt success made with the delivery's revision, never one before its creation", async () => {
    const { scope, log } = partition();
    const cases: [NewDelivery, AttemptWrite][] = [];
    const add = (at: number, status: AttemptWrite["status"], lag: number, over: Partial<AttemptWrite> = {}) => {
      const d = delivery(at);
      cases.push([d, write(d, 1, status, at + lag, over)]);
    };
    add(T0, "success", KEPT_WITHIN_MS + 1);
    add(T0 + 10, "success", -1);
    add(T0 + 20, "success", 5, { revision_id: "rev_other" });
    add(T0 + 30, "failed", 5);
    add(T0 + 40, "success", 5);
    for (const [d, w] of cases) expect(await log.record(scope, [w], [d])).toEqual([d.id]);
    expect(await attemptRows(log)).toBe(4);
    expect((await pages(log, scope, {}, 2)).map((r) => r.id)).toEqual(cases.map(([, w]) => w).sort(newestFirst).map((w) => w.id));
  });

  it("reads a bounded stretch of deliveries for a page, not the partition", { timeout: 60_000 }, async () => {
    const { scope, log } = partition();
    // 3,000 deliveries at 100/s, each delivered 50 ms after its creation: all kept.
    const ds = Array.from({ length: 3_000 }, (_, i) => delivery(T0 + i * 10));
    for (let i = 0; i < ds.length; i += 100) {
      const part = ds.slice(i, i + 100);
      await log.record(scope, part.map((d) => write(d, 1, "success", d.created_at + 50)), part);
    }
    expect(await attemptRows(log)).toBe(0);
    const before = await log.meter();
    const page = await log.page(scope, {}, null, 20);
    const read = (await log.meter()).rowsRead - before.rowsRead;
    expect(page.map((r) => r.delivery_id)).toEqual(ds.slice(-20).reverse().map((d) => d.id));
    // The page's 20, and the deliveries of the KEPT_WITHIN_MS before them (1,000 at 100/s), give or take a read.
    expect(read).toBeLessThan(20 + 1_000 + 250);
    expect(read).toBeGreaterThan(0);
  });

  it("migrates a partition written before this change: its rows read as before, and new ones are kept", async () => {
    const { scope, log } = partition();
    const old = delivery(T0);
    const w = write(old, 1, "success", T0 + 30);
    await log.accept(scope, [old]);
    expect(await log.record(scope, [w])).toEqual([old.id]);
    // Back to the schema before migration 0001, as a partition of an earlier deployment has it.
    await runInDurableObject(log, (_o, state) => {
      for (const c of ["first_response_code", "first_response_time_ms", "first_signed_headers", "first_response_content_type", "first_response_body"]) {
        state.storage.sql.exec(`ALTER TABLE deliveries DROP COLUMN ${c}`);
      }
      state.storage.sql.exec("DELETE FROM __drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM __drizzle_migrations)");
    });
    const columns = () => runInDurableObject(log, (_o, state) => state.storage.sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('deliveries')").toArray().map((r) => r.name));
    expect(await columns()).not.toContain("first_response_code");
    // What the object's constructor does when it wakes with tables (setup.ts): apply what is missing.
    await runInDurableObject(log, (o) => applySchema((o as unknown as { log: Parameters<typeof applySchema>[0] }).log));
    expect(await columns()).toContain("first_response_code");
    expect((await log.page(scope, {}, null, 10)).map((r) => r.id)).toEqual([w.id]);
    const d = delivery(T0 + 1_000);
    const kept = write(d, 1, "success", T0 + 1_020);
    expect(await log.record(scope, [kept], [d])).toEqual([d.id]);
    expect(await attemptRows(log)).toBe(1);
    expect((await log.page(scope, {}, null, 10)).map((r) => r.id)).toEqual([kept.id, w.id]);
  });
});

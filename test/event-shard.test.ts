/**
 * The EventShard object (src/durable/event-shard/): an event stored once per event id, whatever
 * the concurrency, with the delivery ids it assigned; its rows packed; retention by whole day
 * tables (lookups: event-shard-lookup.test.ts). Called through its real binding.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { logRetentionMs } from "../src/maintenance/retention";
import { DAY_MS, dayOf, timeOfId } from "../src/storage/partitions";
import { eventShard } from "../src/storage/stubs";
import { newOrg, tables, toStore } from "./helpers/event-shard";

describe("EventShard.accept", () => {
  it("stores a new event with a delivery id per fanned-out webhook, one row written per event", async () => {
    const org = newOrg();
    const now = Date.now();
    const shard = eventShard(env, org, "evt_one");
    const answer = await shard.accept(org, toStore("evt_one", now));
    expect(answer.duplicate).toBe(false);
    expect(answer.event).toMatchObject({ id: "evt_one", deliveries: 2, skipped: 1, created_at: now, request_hash: 'hash:{"id":"evt_one"}' });
    expect(answer.event.fanout.map((f) => [f.webhook_id, f.revision_id, f.status])).toEqual([
      ["wh_a", "rev_a", "pending"],
      ["wh_b", "rev_b", "skipped"],
    ]);
    const ids = answer.event.fanout.map((f) => f.delivery_id);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) {
      expect(id).toMatch(/^dlv_/);
      // The partition a delivery lives in is the day its id carries: the event's.
      expect(timeOfId(id)).toBe(now);
    }
    expect(await tables(shard)).toEqual([`events_${dayOf(now)}`]);

    // Another event of the same shard and day: exactly one row written (no index, no table to create).
    let other = "evt_two";
    for (let i = 0; eventShard(env, org, other).id.toString() !== shard.id.toString(); i++) other = `evt_two_${i}`;
    const before = await shard.meter();
    await shard.accept(org, toStore(other, now));
    const after = await shard.meter();
    expect(after.rowsWritten - before.rowsWritten).toBe(1);
  });

  it("stamps an event that comes later than the sweep's window after the sweep's mark, so that a sweep still reads it", async () => {
    const org = newOrg();
    const now = Date.now();
    const shard = eventShard(env, org, "evt_first");
    // An event past the stale window: the next sweep reads it and moves the mark to its cutoff.
    await shard.accept(org, toStore("evt_first", now - 90_000));
    // Another event id of the same shard, stamped by an ingest whose request took two minutes.
    let late = "evt_late";
    for (let i = 0; eventShard(env, org, late).id.toString() !== shard.id.toString(); i++) late = `evt_late_${i}`;
    const markOf = () => runInDurableObject(shard, (_o, state) => state.storage.kv.get<number>("swept-through") ?? 0);

    // A sweep has passed everything up to a minute ago (the stale window), as its alarm would.
    await runInDurableObject(shard, (o) => o.sweep(Date.now()));
    const mark = await markOf();
    expect(mark).toBeGreaterThan(now - 120_000);
    const answer = await shard.accept(org, toStore(late, now - 120_000));
    expect(answer.event.created_at).toBeGreaterThan(mark);
    for (const f of answer.event.fanout) expect(timeOfId(f.delivery_id)).toBe(answer.event.created_at);
    // And a sweep that has started, not finished, counts as passed: it set its cutoff first.
    const cutoffAhead = Date.now() + 30_000;
    await runInDurableObject(shard, (o) => o.sweep(cutoffAhead + 60_000));
    let later = `${late}_b`;
    for (let i = 0; eventShard(env, org, later).id.toString() !== shard.id.toString(); i++) later = `${late}_b${i}`;
    expect((await shard.accept(org, toStore(later, Date.now()))).event.created_at).toBeGreaterThan(cutoffAhead);
  });

  it("answers a duplicate with what was stored the first time, body and delivery ids included", async () => {
    const org = newOrg();
    const shard = eventShard(env, org, "evt_dup");
    const first = await shard.accept(org, toStore("evt_dup"));
    const again = await shard.accept(org, toStore("evt_dup", Date.now() + 5_000, '{"other":"body"}'));
    expect(again).toEqual({ duplicate: true, event: first.event });
    // The caller compares the hash to refuse a different body (409).
    expect(again.event.request_hash).not.toBe('hash:{"other":"body"}');
  });

  it("stores one event for concurrent duplicates, and tells all of them the same delivery ids", async () => {
    const org = newOrg();
    const shard = eventShard(env, org, "evt_race");
    const answers = await Promise.all(Array.from({ length: 20 }, () => shard.accept(org, toStore("evt_race"))));
    expect(answers.filter((a) => !a.duplicate)).toHaveLength(1);
    const ids = answers.map((a) => a.event.fanout.map((f) => f.delivery_id).join(","));
    expect(new Set(ids).size).toBe(1);
    const rows = await runInDurableObject(shard, (_o, state) => {
      const [table] = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE name LIKE 'events_%'").toArray();
      return state.storage.sql.exec(`SELECT count(*) AS n FROM ${table!.name}`).one().n;
    });
    expect(rows).toBe(1);
  });

  it("refuses a call for another organisation than the shard's", async () => {
    const org = newOrg();
    const shard = eventShard(env, org, "evt_own");
    await shard.accept(org, toStore("evt_own"));
    // Called inside the object: an error thrown across RPC is reported by the pool as unhandled.
    const refused = await runInDurableObject(shard, async (o) => {
      try {
        return await o.get(org + 1, "evt_own");
      } catch (err) {
        return String(err);
      }
    });
    expect(refused).toMatch(new RegExp(`event shard of organisation ${org} called for organisation ${org + 1}`));
  });
});

describe("EventShard packing", () => {
  /** Ids of one shard with the first. */
  const sameShard = (org: number, prefix: string, n: number) => {
    const target = eventShard(env, org, `${prefix}_0`).id.toString();
    const out: string[] = [];
    for (let i = 0; out.length < n; i++) if (eventShard(env, org, `${prefix}_${i}`).id.toString() === target) out.push(`${prefix}_${i}`);
    return out;
  };
  const storageClass = (stub: ReturnType<typeof eventShard>, day: number, id: string) =>
    runInDurableObject(stub, (_o, state) =>
      state.storage.sql.exec<{ body: string; hash: string; bytes: number }>(
        `SELECT typeof(body) AS body, typeof(request_hash) AS hash, length(request_hash) AS bytes FROM events_${day} WHERE id = ?`, id,
      ).one(),
    );

  it("gives back every body exactly as it came (the signed bytes), compressed or not, and the hash as it was", async () => {
    const org = newOrg();
    const now = Date.now();
    const ids = sameShard(org, "evt_pack", 5);
    const shard = eventShard(env, org, ids[0]!);
    let seed = 7;
    const base64 = () => Array.from({ length: 400 }, () => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(seed = (seed * 1103515245 + 12345) >>> 0) >>> 26]).join("");
    const bodies = [
      // Compresses: JSON of ids and repeated keys; non-ASCII (2-, 3- and 4-byte UTF-8), escapes and a BOM-like first character.
      JSON.stringify({ event: "workflow.created", data: { id: base64(), name: "Ĳsselmeer — 東京 🚀", note: "\uFEFF\u0000 \"q\"", list: Array(20).fill("same") } }),
      "\uFEFF" + JSON.stringify({ data: "é".repeat(300) }),
      // Random base64: still smaller deflated, though not by much.
      JSON.stringify({ token: base64() }),
      // Too short to gain: kept as it is.
      "{}",
      "",
    ];
    const hash = "0f".repeat(32);
    for (const [i, body] of bodies.entries()) {
      const answer = await shard.accept(org, { ...toStore(ids[i]!, now, body), request_hash: i === 0 ? hash : `hash:${i}` });
      expect(answer.event.body).toBe(body);
    }
    for (const [i, body] of bodies.entries()) {
      const got = await shard.get(org, ids[i]!);
      expect(got!.body).toBe(body);
      expect(got!.request_hash).toBe(i === 0 ? hash : `hash:${i}`);
      // A duplicate is told the stored body, unpacked.
      expect((await shard.accept(org, toStore(ids[i]!, now, body))).event.body).toBe(body);
    }
    expect(await shard.bodies(org, ids)).toEqual(Object.fromEntries(ids.map((id, i) => [id, bodies[i]])));
    // As stored: the compressible ones as BLOBs (deflate-raw), the others as text; a SHA-256 in hex as its 32 bytes.
    expect(await storageClass(shard, dayOf(now), ids[0]!)).toEqual({ body: "blob", hash: "blob", bytes: 32 });
    expect((await storageClass(shard, dayOf(now), ids[1]!)).body).toBe("blob");
    expect((await storageClass(shard, dayOf(now), ids[2]!)).body).toBe("blob");
    expect(await storageClass(shard, dayOf(now), ids[3]!)).toEqual({ body: "text", hash: "text", bytes: 6 });
  });

  it("reads back a body packed by CompressionStream, as shards written before node:zlib hold them", async () => {
    const org = newOrg();
    const now = Date.now();
    const [id] = sameShard(org, "evt_old", 1);
    const shard = eventShard(env, org, id!);
    await shard.accept(org, toStore(id!, now));
    const old = JSON.stringify({ event: "workflow.created", data: { note: "東京 🚀", list: Array(30).fill("same") } });
    const packed = await new Response(new Blob([new TextEncoder().encode(old)]).stream().pipeThrough(new CompressionStream("deflate-raw"))).arrayBuffer();
    await runInDurableObject(shard, (_o, state) => void state.storage.sql.exec(`UPDATE events_${dayOf(now)} SET body = ? WHERE id = ?`, packed, id!));
    expect((await storageClass(shard, dayOf(now), id!)).body).toBe("blob");
    expect((await shard.get(org, id!))!.body).toBe(old);
    expect(await shard.bodies(org, [id!])).toEqual({ [id!]: old });
  });

  it("keeps a fan-out it cannot pack as JSON, and reads both back the same", async () => {
    const org = newOrg();
    const now = Date.now();
    const [plain, odd] = sameShard(org, "evt_fanout", 2);
    const shard = eventShard(env, org, plain!);
    const fanout = [
      { webhook_id: "wh_a", revision_id: "rev_a", status: "pending" as const },
      { webhook_id: "wh b,with separators", revision_id: "rev b", status: "skipped" as const },
    ];
    const first = await shard.accept(org, toStore(plain!, now));
    const second = await shard.accept(org, { ...toStore(odd!, now), fanout });
    expect(second.event.fanout.map((f) => [f.webhook_id, f.revision_id, f.status])).toEqual(fanout.map((f) => [f.webhook_id, f.revision_id, f.status]));
    expect(await shard.get(org, plain!)).toEqual(first.event);
    expect(await shard.get(org, odd!)).toEqual(second.event);
    const stored = await runInDurableObject(shard, (_o, state) =>
      state.storage.sql.exec<{ id: string; fanout: string }>(`SELECT id, fanout FROM events_${dayOf(now)} ORDER BY id`).toArray(),
    );
    expect(stored.find((r) => r.id === plain)!.fanout).toMatch(/^pwh_a rev_a \w{16},swh_b rev_b \w{16}$/);
    expect(stored.find((r) => r.id === odd)!.fanout).toMatch(/^\[/);
  });
});

describe("EventShard retention", () => {
  it("drops the day tables past LOG_RETENTION_DAYS (plus a day) and keeps the rest; the id is free again", async () => {
    const org = newOrg();
    const now = Date.now();
    const retention = logRetentionMs(env);
    let old = "evt_old";
    let kept = "evt_kept";
    const target = eventShard(env, org, "evt_now").id.toString();
    for (let i = 0; eventShard(env, org, old).id.toString() !== target; i++) old = `evt_old_${i}`;
    for (let i = 0; eventShard(env, org, kept).id.toString() !== target; i++) kept = `evt_kept_${i}`;
    const shard = eventShard(env, org, "evt_now");

    await shard.accept(org, toStore("evt_now", now));
    // Within the retention by a day: kept, even though its day began before now - retention.
    await shard.accept(org, toStore(kept, now - retention));
    // Three days past it: its table goes. Storing it armed an alarm already due, which the
    // runtime may be about to run: runDurableObjectAlarm would then find none scheduled and return
    // at once, so the handler is called directly (running it twice changes nothing).
    await shard.accept(org, toStore(old, now - retention - 3 * DAY_MS));
    await runInDurableObject(shard, (instance) => instance.alarm());

    expect(await tables(shard)).toEqual([`events_${dayOf(now - retention)}`, `events_${dayOf(now)}`]);
    expect(await shard.get(org, old)).toBeNull();
    expect(await shard.get(org, kept)).not.toBeNull();
    expect(await shard.bodies(org, [old, kept, "evt_now"])).toEqual({ [kept]: `{"id":"${kept}"}`, evt_now: '{"id":"evt_now"}' });
    // The next run is armed: at the latest a day from now.
    const alarm = await runInDurableObject(shard, (_o, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(Date.now() + DAY_MS);
    // Past the retention an event id can be used again.
    expect((await shard.accept(org, toStore(old, now))).duplicate).toBe(false);
  });
});

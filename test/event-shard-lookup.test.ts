/**
 * The EventShard object's lookups (src/durable/event-shard/): an event found in any of its live
 * day tables, however many, and bodies for more ids than one statement binds. Called through its
 * real binding.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDay } from "../src/durable/event-shard/days";
import { FIND_DAYS, insertSql, toRow } from "../src/durable/event-shard/rows";
import { MeteredSql } from "../src/durable/metered-sql";
import { DAY_MS, dayOf } from "../src/storage/partitions";
import { eventShard } from "../src/storage/stubs";
import { newOrg, tables, toStore } from "./helpers/event-shard";

describe("EventShard.get and bodies", () => {
  it("finds events in any live day; bodies answers the ids it holds", async () => {
    const org = newOrg();
    const now = Date.now();
    // Two ids of one shard, one stored today, one yesterday.
    const a = "evt_today";
    let b = "evt_yesterday";
    for (let i = 0; eventShard(env, org, b).id.toString() !== eventShard(env, org, a).id.toString(); i++) b = `evt_yesterday_${i}`;
    const shard = eventShard(env, org, a);
    await shard.accept(org, toStore(a, now));
    const older = await shard.accept(org, toStore(b, now - DAY_MS));
    expect(await tables(shard)).toHaveLength(2);

    expect(await shard.get(org, b)).toEqual(older.event);
    expect(await shard.get(org, "evt_missing")).toBeNull();
    expect(await shard.bodies(org, [a, b, "evt_missing", a])).toEqual({ [a]: `{"id":"${a}"}`, [b]: `{"id":"${b}"}` });
    expect(await shard.bodies(org, [])).toEqual({});
    // A duplicate of yesterday's event is recognised today.
    expect((await shard.accept(org, toStore(b, now))).duplicate).toBe(true);
  });

  it("finds an event in any of more days than one lookup statement covers", async () => {
    const org = newOrg();
    const now = Date.now();
    const id = "evt_long_ago";
    const shard = eventShard(env, org, id);
    const today = dayOf(now);
    const days = Array.from({ length: FIND_DAYS * 2 + 5 }, (_, i) => today - i);
    // Written in place, as a long LOG_RETENTION_DAYS would leave them: accept would arm the
    // retention alarm, which drops days older than this test's retention.
    const stored = await runInDurableObject(shard, (_o, state) => {
      const sql = new MeteredSql(state.storage.sql);
      state.storage.kv.put("organisation", org);
      for (const day of days) createDay(sql, state.storage.kv, day);
      const oldest = days.at(-1)!;
      const row = toRow({ ...toStore(id, oldest * DAY_MS), deliveries: 0, skipped: 0, fanout: [] });
      sql.run(insertSql(oldest), row.id, row.event, row.body, row.request_hash, row.fanout, row.created_at);
      return row.created_at;
    });
    expect((await shard.get(org, id))?.created_at).toBe(stored);
    expect(await shard.get(org, "evt_never")).toBeNull();
    expect((await shard.accept(org, toStore(id, now))).duplicate).toBe(true);
  });

  it("answers bodies for more ids than one statement can bind", async () => {
    const org = newOrg();
    const first = "evt_many_0";
    const shard = eventShard(env, org, first);
    const ids: string[] = [];
    for (let i = 0; ids.length < 130; i++) if (eventShard(env, org, `evt_many_${i}`).id.toString() === shard.id.toString()) ids.push(`evt_many_${i}`);
    for (const id of ids) await shard.accept(org, toStore(id));
    const bodies = await shard.bodies(org, ids);
    expect(Object.keys(bodies).sort()).toEqual([...ids].sort());
  });
});

import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../env";
import { newId } from "../../lib/ids";
import { logRetentionMs } from "../../maintenance/retention";
import { staleAfter } from "../delivery-log/sweep";
import type { EventToStore, Meter, ShardAnswer, StoredEvent, StoredFanout } from "../../storage/contract";
import { DAY_MS, dayOf, dayOfDelivery, deliveryIdIn, shardOf } from "../../storage/partitions";
import { MeteredSql } from "../metered-sql";
import { createDay, dropAt, dropDay, liveDays, tableOf } from "./days";
import { unpackBody, type StoredBody } from "./body";
import { sweepShard, sweptThrough, type Recent, type ShardSweepReport } from "./sweep";
import { bodiesSql, type EventRow, fromRow, insertSql, FIND_DAYS, MAX_BINDINGS, findSql, toRow } from "./rows";

/**
 * One of an organisation's EVENT_SHARDS event stores (named `${organisationId}:${shardOf(eventId)}`):
 * each event's body, its request hash (the idempotency record of its event_id) and its fan-out
 * with the delivery ids assigned here. Every copy of an event id reaches the same shard, and the
 * object runs one call at a time with no await between the lookup and the insert, so concurrent
 * duplicates store one event and are all told the same delivery ids. Rows are stored packed
 * (rows.ts: the body deflated when that is smaller) and unpacked here, so callers see the event
 * exactly as it was given.
 */
export class EventShard extends DurableObject<Env> {
  private readonly sql = new MeteredSql(this.ctx.storage.sql);
  /** The events stored since this object started that have pending deliveries: its sweeps read them by key (sweep.ts). */
  private readonly recent: Recent = { since: Date.now(), events: [] };
  /** The alarm as this object last set or read it; undefined until it looked. */
  private alarmAt: number | null | undefined;
  /**
   * The live days and the owner as kv holds them, read once: only this object writes them (its
   * calls run one at a time), so memory stays true. A kv read on every call was a tenth of
   * ingest's time on the local thread (bench/profile-ingest.ts).
   */
  private days: number[] | undefined;
  private owner: number | undefined;
  /**
   * No event is stored at or before this time: the furthest a sweep has passed, or started to
   * pass (its cutoff is set before its first await). Ingest stamps an event with its own clock
   * before it reaches the shard; one delayed longer than the sweep's window would otherwise land
   * behind the mark, where no sweep reads it, and be lost if its queue message was too.
   */
  private floor: number | undefined;

  async accept(organisationId: number, e: EventToStore): Promise<ShardAnswer> {
    this.own(organisationId, true);
    const createdAt = Math.max(e.created_at, this.sweepFloor() + 1);
    const event: StoredEvent = {
      id: e.id,
      event: e.event,
      body: e.body,
      request_hash: e.request_hash,
      created_at: createdAt,
      deliveries: e.fanout.length,
      skipped: e.fanout.filter((f) => f.status === "skipped").length,
      // Each id names this shard, so a delivery not attempted yet is found from its id (shardOfDelivery).
      fanout: e.fanout.map((f) => ({ webhook_id: f.webhook_id, delivery_id: deliveryIdIn(newId("dlv", createdAt), shardOf(e.id)), revision_id: f.revision_id, status: f.status })),
    };
    // From the lookup to the insert nothing awaits, so no other call runs in between.
    const stored = this.find(e.id);
    if (stored) return { duplicate: true, event: fromRow(stored) };
    const row = toRow(event);

    const day = dayOf(createdAt);
    const fresh = !this.live().includes(day);
    if (fresh) this.days = createDay(this.sql, this.ctx.storage.kv, day);
    this.sql.run(insertSql(day), row.id, row.event, row.body, row.request_hash, row.fanout, row.created_at);
    // Awaited only after the insert: from the lookup to here nothing else ran in the object.
    // The sweep is due once this event's deliveries can be overdue (sweep.ts); retention once the day is new.
    if (event.fanout.some((f) => f.status === "pending")) {
      this.recent.events.push({ id: e.id, day, created_at: createdAt });
      await this.armBy(createdAt + staleAfter(this.env));
    }
    if (fresh) await this.armBy(this.retentionDue()!);
    return { duplicate: false, event };
  }

  async get(organisationId: number, eventId: string): Promise<StoredEvent | null> {
    this.own(organisationId);
    const row = this.find(eventId);
    return row ? fromRow(row) : null;
  }

  /** The bodies of those of `ids` still stored (unpacked here, as stored); newest day first, stopping once all are found. */
  async bodies(organisationId: number, ids: string[]): Promise<Record<string, string>> {
    this.own(organisationId);
    const found = new Map<string, StoredBody>();
    let missing = [...new Set(ids)];
    for (const day of [...this.live()].reverse()) {
      for (let i = 0; i < missing.length; i += MAX_BINDINGS) {
        const chunk = missing.slice(i, i + MAX_BINDINGS);
        for (const r of this.sql.all<{ id: string; body: StoredBody }>(bodiesSql(day, chunk.length), ...chunk)) found.set(r.id, r.body);
      }
      missing = missing.filter((id) => !found.has(id));
      if (missing.length === 0) break;
    }
    return Object.fromEntries([...found].map(([id, body]) => [id, unpackBody(body)]));
  }

  /**
   * The event and fan-out entry of a delivery this shard assigned, or null: for a delivery that
   * no partition holds yet (not attempted). The day its id carries is read in full, looking for
   * the id's random part in the packed fan-outs: a read of the shard's day, for a rare request.
   */
  async deliveryOf(organisationId: number, deliveryId: string): Promise<{ event: Omit<StoredEvent, "fanout" | "request_hash">; entry: StoredFanout } | null> {
    this.own(organisationId);
    const day = dayOfDelivery(deliveryId);
    if (!this.live().includes(day)) return null;
    const rows = this.sql.all<EventRow>(`SELECT id, event, body, request_hash, fanout, created_at FROM ${tableOf(day)} WHERE instr(fanout, ?) > 0`, deliveryId.slice(14));
    for (const row of rows) {
      const { fanout, request_hash: _hash, ...event } = fromRow(row);
      const entry = fanout.find((f) => f.delivery_id === deliveryId);
      if (entry) return { event, entry };
    }
    return null;
  }

  meter(): Meter {
    return this.sql.meter();
  }

  /**
   * Retention, then the sweep (sweep.ts). Retention drops the day tables past LOG_RETENTION_DAYS
   * (plus a day of slack). The next run is the sooner of the two's.
   */
  override async alarm(): Promise<void> {
    const retention = logRetentionMs(this.env);
    const now = Date.now();
    for (const day of this.live()) if (dropAt(day, retention) <= now) this.days = dropDay(this.sql, this.ctx.storage.kv, day);
    const sweep = (await this.sweep(now))?.next ?? null;
    const next = [sweep, this.retentionDue()].filter((t): t is number => t !== null);
    this.alarmAt = next.length === 0 ? null : Math.min(...next);
    if (this.alarmAt === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(this.alarmAt);
  }

  /** The sweep's work (sweep.ts), callable from tests (runInDurableObject) with a chosen time; null before any event. */
  async sweep(now: number): Promise<ShardSweepReport | null> {
    const organisationId = this.ctx.storage.kv.get<number>("organisation");
    if (organisationId === undefined) return null;
    // Before the first await: an accept that runs while this sweep waits is stamped after its cutoff.
    this.floor = Math.max(this.sweepFloor(), now - staleAfter(this.env));
    return sweepShard(this.sql, this.ctx.storage.kv, this.env, organisationId, now, this.recent);
  }

  private sweepFloor(): number {
    return (this.floor ??= sweptThrough(this.ctx.storage.kv));
  }

  /**
   * The next retention run: when the oldest day may go, and at least daily so that a shorter
   * LOG_RETENTION_DAYS takes effect within a day. None while no day is stored.
   */
  private retentionDue(): number | null {
    const oldest = this.live()[0];
    return oldest === undefined ? null : Math.min(dropAt(oldest, logRetentionMs(this.env)), Date.now() + DAY_MS);
  }

  /** The alarm at `at` unless one is set sooner (known in memory after the first look). */
  private async armBy(at: number) {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }

  /** Newest day first: a retried ingest is most likely a recent one. One statement per FIND_DAYS days (rows.ts). */
  private find(eventId: string): EventRow | undefined {
    const days = [...this.live()].reverse();
    for (let i = 0; i < days.length; i += FIND_DAYS) {
      const row = this.sql.first<EventRow>(findSql(days.slice(i, i + FIND_DAYS)), eventId);
      if (row) return row;
    }
    return undefined;
  }

  /**
   * The object's name carries the organisation; a call for another one is a routing mistake
   * (a wrong stub), refused rather than answered with another organisation's events.
   */
  private own(organisationId: number, claim = false) {
    this.owner ??= this.ctx.storage.kv.get<number>("organisation");
    if (this.owner === undefined) {
      if (claim) this.ctx.storage.kv.put("organisation", (this.owner = organisationId));
    } else if (this.owner !== organisationId) throw new Error(`event shard of organisation ${this.owner} called for organisation ${organisationId}`);
  }

  private live(): number[] {
    return (this.days ??= liveDays(this.ctx.storage.kv));
  }
}

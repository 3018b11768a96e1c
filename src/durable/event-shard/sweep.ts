/**
 * The shard's sweep: what makes a pending delivery safe before anything but its event is stored.
 *
 * Ingest writes one row per event, here, and enqueues the event's deliveries; a delivery is first
 * written to its webhook's partition with its first attempt (src/delivery/accept-event.ts). If the
 * queue refused the message, or lost it (the local queue on a restart), only this shard knows the
 * delivery exists. So each run reads the events stored since its mark and up to STALE ago
 * (SWEEP_STALE_MS, as the partitions' sweep) and hands every pending delivery of theirs to its
 * partition, due now (DeliveryLog.accept with a due time): one call per partition, idempotent on
 * the delivery ids. A delivery its partition already holds (it was attempted, or handed over
 * before) is left alone; one it did not hold is now stored, is enqueued again here, and from then
 * on its partition's own sweep sends it if that message is lost too. The mark then moves past
 * everything read, so each event is handed over once.
 *
 * The common case costs reads only: a delivery attempted within STALE is found in its partition
 * by its primary key. The day tables have no index on the time (it would be a row written per
 * event), so the object remembers the events it stored (`Recent`) and a run reads those by their
 * primary key. Only a run whose window starts before the object did (after a restart, or an
 * eviction) reads the days the window touches in full, once: rows read cost a thousandth of rows
 * written (docs/storage.md). Runs are STALE / 2 apart at the closest, only while events arrive.
 */
import { ownedWebhooks } from "../../db/webhooks";
import type { Env } from "../../env";
import { enqueueReporting, Pacer, type Enqueued } from "../../delivery/enqueue";
import { firstAttemptMessage } from "../../delivery/messages";
import type { NewDelivery } from "../../storage/contract";
import { DAY_MS, dayOf, dayOfDelivery } from "../../storage/partitions";
import { deliveryLog } from "../../storage/stubs";
import { staleAfter } from "../delivery-log/sweep";
import type { MeteredSql } from "../metered-sql";
import { unpackBody, type StoredBody } from "./body";
import { liveDays, tableOf } from "./days";
import { MAX_BINDINGS } from "./rows";
import { unpackFanout } from "./fanout";

const MARK_KEY = "swept-through";
/** Events handed over per page: a run takes at most MAX_PAGES of them, then goes on at once. */
const PAGE = 2_000;
const MAX_PAGES = 5;

export const sweptThrough = (kv: SyncKvStorage): number => kv.get<number>(MARK_KEY) ?? 0;

/** Runs no closer together than this: overdue is found within STALE and this. */
export const gapOf = (stale: number) => Math.max(1_000, stale / 2);

type Scanned = { id: string; event: string; body: StoredBody; fanout: string; created_at: number };

/** The events this object stored since it started, with pending deliveries: what its sweeps read, by key. */
export interface Recent {
  /** When the object started: events stored before it are not in `events`. */
  since: number;
  events: { id: string; day: number; created_at: number }[];
}

export interface ShardSweepReport {
  /** Deliveries not found in their partitions: written there and enqueued again. */
  handedOver: string[];
  /** Of those, the ones the queue did not take (their partitions' sweeps retry them). */
  unsent: number;
  /** When the next run is due; null when no event is left past the mark. */
  next: number | null;
}

/** A page from memory: those of the remembered events in (mark, cutoff], read by primary key. */
function readRemembered(sql: MeteredSql, kv: SyncKvStorage, recent: Recent, mark: number, cutoff: number): Scanned[] {
  const due = recent.events.filter((e) => e.created_at > mark && e.created_at <= cutoff).sort((a, b) => a.created_at - b.created_at).slice(0, PAGE);
  const byDay = new Map<number, string[]>();
  for (const e of due) byDay.set(e.day, [...(byDay.get(e.day) ?? []), e.id]);
  const rows: Scanned[] = [];
  const live = liveDays(kv);
  for (const [day, ids] of byDay) {
    // A day retention dropped has nothing left to hand over.
    if (!live.includes(day)) continue;
    for (let i = 0; i < ids.length; i += MAX_BINDINGS) {
      const part = ids.slice(i, i + MAX_BINDINGS);
      rows.push(...sql.all<Scanned>(`SELECT id, event, body, fanout, created_at FROM ${tableOf(day)} WHERE id IN (${part.map(() => "?").join(",")})`, ...part));
    }
  }
  return rows.sort((a, b) => a.created_at - b.created_at);
}

/** One page of events in (mark, cutoff], oldest first: from memory when it holds the whole window, else by reading the days it touches. */
function readPage(sql: MeteredSql, kv: SyncKvStorage, mark: number, cutoff: number, recent?: Recent): Scanned[] {
  if (recent && mark >= recent.since) return readRemembered(sql, kv, recent, mark, cutoff);
  const rows: Scanned[] = [];
  for (const day of liveDays(kv)) {
    if ((day + 1) * DAY_MS <= mark || day > dayOf(cutoff)) continue;
    rows.push(...sql.all<Scanned>(
      `SELECT id, event, body, fanout, created_at FROM ${tableOf(day)} WHERE created_at > ?1 AND created_at <= ?2 ORDER BY created_at LIMIT ?3`,
      mark, cutoff, PAGE,
    ));
    if (rows.length >= PAGE) break;
  }
  return rows.sort((a, b) => a.created_at - b.created_at).slice(0, PAGE);
}

/** Hands one page's pending deliveries to their partitions; answers the messages for those newly stored. */
async function handOver(env: Env, organisationId: number, events: Scanned[], now: number): Promise<Enqueued[]> {
  type Group = { webhookId: string; day: number; deliveries: NewDelivery[]; bodies: Map<string, StoredBody> };
  const groups = new Map<string, Group>();
  for (const e of events) {
    for (const f of unpackFanout(e.fanout, e.created_at)) {
      if (f.status !== "pending") continue;
      const day = dayOfDelivery(f.delivery_id);
      const key = `${f.webhook_id}:${day}`;
      const group: Group = groups.get(key) ?? { webhookId: f.webhook_id, day, deliveries: [], bodies: new Map() };
      group.deliveries.push({ id: f.delivery_id, event_id: e.id, event: e.event, revision_id: f.revision_id, status: "pending", created_at: e.created_at });
      group.bodies.set(e.id, e.body);
      groups.set(key, group);
    }
  }
  if (groups.size === 0) return [];
  const live = await ownedWebhooks(env.DB, organisationId, [...groups.values()].map((g) => g.webhookId));
  const messages = await Promise.all(
    [...groups.values()]
      .filter((g) => live.has(g.webhookId))
      .map(async ({ webhookId, day, deliveries, bodies }) => {
        const scope = { organisationId, webhookId, day };
        const fresh = new Set(await deliveryLog(env, organisationId, webhookId, day).accept(scope, deliveries, now));
        return Promise.all(
          deliveries
            .filter((d) => fresh.has(d.id))
            .map(async (d): Promise<Enqueued> =>
              firstAttemptMessage(organisationId, { id: d.event_id, event: d.event, body: unpackBody(bodies.get(d.event_id)!) }, { delivery_id: d.id, webhook_id: webhookId, revision_id: d.revision_id }),
            ),
        );
      }),
  );
  return messages.flat();
}

export async function sweepShard(sql: MeteredSql, kv: SyncKvStorage, env: Env, organisationId: number, now: number, recent?: Recent): Promise<ShardSweepReport> {
  const stale = staleAfter(env);
  const cutoff = now - stale;
  const report: ShardSweepReport = { handedOver: [], unsent: 0, next: null };
  const pacer = new Pacer();
  let full = false;
  for (let page = 0; page < MAX_PAGES; page++) {
    const mark = sweptThrough(kv);
    const events = readPage(sql, kv, mark, cutoff, recent);
    if (events.length === 0) break;
    const messages = await handOver(env, organisationId, events, now);
    // Stored in their partitions now: what the queue does not take, their sweeps send.
    const sent = await enqueueReporting(env, messages, 0, "main", pacer);
    report.handedOver.push(...messages.map((m) => m.delivery_id));
    report.unsent += sent.unsent.length;
    full = events.length === PAGE;
    // Up to the cutoff when the page was the last (the shard stamps no event at or before a
    // cutoff a sweep has started with: EventShard.floor); past a full page, short of its last
    // millisecond, which may have more events, unless the whole page is that millisecond.
    const first = events[0]!.created_at;
    const last = events.at(-1)!.created_at;
    kv.put(MARK_KEY, !full ? cutoff : first < last ? last - 1 : last);
    if (!full) break;
  }
  // What the mark passed is never read again.
  if (recent) {
    const mark = sweptThrough(kv);
    recent.events = recent.events.filter((e) => e.created_at > mark);
  }
  report.next = full ? Date.now() : nextRun(sql, kv, stale, Date.now(), recent);
  return report;
}

/** When the oldest event past the mark becomes overdue (at the earliest a gap from now), or null when there is none. */
export function nextRun(sql: MeteredSql, kv: SyncKvStorage, stale: number, now: number, recent?: Recent): number | null {
  const mark = sweptThrough(kv);
  if (recent && mark >= recent.since) {
    const oldest = Math.min(...recent.events.filter((e) => e.created_at > mark).map((e) => e.created_at));
    return Number.isFinite(oldest) ? Math.max(oldest + stale, now + gapOf(stale)) : null;
  }
  for (const day of liveDays(kv)) {
    if ((day + 1) * DAY_MS <= mark) continue;
    const oldest = sql.first<{ at: number | null }>(`SELECT MIN(created_at) AS at FROM ${tableOf(day)} WHERE created_at > ?`, mark);
    if (oldest?.at != null) return Math.max(oldest.at + stale, now + gapOf(stale));
  }
  return null;
}

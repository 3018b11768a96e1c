/**
 * Direct reads of stored state for assertions the API does not (yet) expose. A webhook's traffic
 * (deliveries, attempts) lives in its DeliveryLog partitions, one per UTC day, listed by its head
 * (WebhookHealth); events live in the organisation's EventShards (src/storage/partitions.ts).
 * D1 keeps only the control plane, so `count` refuses the traffic tables instead of answering 0.
 */
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { healthStub } from "../../src/durable/health-client";
import { liveDays, tableOf } from "../../src/durable/event-shard/days";
import type { DeliveryState, LogScope, Position, StoredEvent } from "../../src/storage/contract";
import { EVENT_SHARDS } from "../../src/storage/partitions";
import { deliveryLog } from "../../src/storage/stubs";

export interface AttemptRecord {
  delivery_id: string;
  event_id: string;
  event: string;
  attempt: number;
  status: string;
  response_code: number | null;
  response_time_ms: number | null;
  error_code: string | null;
  error: string | null;
  created_at: number;
}

/** The webhook's organisation, from D1; a deleted webhook's must be passed in (its row is gone). */
export async function organisationOf(webhookId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT organisation_id FROM webhooks WHERE id = ?").bind(webhookId).first<{ organisation_id: number }>();
  if (!row) throw new Error(`webhook ${webhookId} is not in D1 (deleted?): pass its organisation id`);
  return row.organisation_id;
}

/** The webhook's live partitions, oldest first, as its head lists them. */
export async function partitionsOf(webhookId: string, organisationId?: number): Promise<LogScope[]> {
  const org = organisationId ?? (await organisationOf(webhookId));
  const days = await healthStub(env, org, webhookId).partitions();
  return [...days].sort((a, b) => a - b).map((day) => ({ organisationId: org, webhookId, day }));
}

const PAGE = 200;

/** Every attempt (and logged skip) of the webhook, test sends included, oldest first, as the partitions' log pages give them. */
export async function attemptsOf(webhookId: string, organisationId?: number): Promise<AttemptRecord[]> {
  const out: AttemptRecord[] = [];
  for (const scope of await partitionsOf(webhookId, organisationId)) {
    const log = deliveryLog(env, scope.organisationId, webhookId, scope.day);
    let after: Position | null = null;
    for (;;) {
      const page = await log.page(scope, {}, after, PAGE);
      out.push(...page.map(({ delivery_id, event_id, event, attempt, status, response_code, response_time_ms, error_code, error, created_at }) => ({
        delivery_id, event_id, event, attempt, status, response_code, response_time_ms, error_code, error, created_at,
      })));
      if (page.length < PAGE) break;
      const last = page[page.length - 1]!;
      after = { createdAt: last.created_at, id: last.id };
    }
  }
  return out.sort((a, b) => a.created_at - b.created_at || a.attempt - b.attempt);
}

/**
 * Every delivery of the webhook in the object's own shape (test events and checks included),
 * oldest first. The ids are read from the partition's deliveries table (no RPC lists a whole
 * partition), the states through load(), the partition's own answer.
 */
export async function deliveryStatesOf(webhookId: string, organisationId?: number): Promise<DeliveryState[]> {
  const out: DeliveryState[] = [];
  for (const scope of await partitionsOf(webhookId, organisationId)) {
    const log = deliveryLog(env, scope.organisationId, webhookId, scope.day);
    const ids = await runInDurableObject(log, (_o, state) => state.storage.sql.exec<{ id: string }>("SELECT id FROM deliveries").toArray().map((r) => r.id));
    for (let i = 0; i < ids.length; i += PAGE) out.push(...(await log.load(scope, ids.slice(i, i + PAGE))));
  }
  return out.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function deliveriesOf(webhookId: string, organisationId?: number) {
  return (await deliveryStatesOf(webhookId, organisationId)).map(({ id, event_id, event, status, attempts }) => ({ id, event_id, event, status, attempts }));
}

/** One delivery, found through its webhook's partitions; null when none holds it. */
export async function deliveryState(webhookId: string, deliveryId: string, organisationId?: number): Promise<DeliveryState | null> {
  for (const scope of await partitionsOf(webhookId, organisationId)) {
    const [d] = await deliveryLog(env, scope.organisationId, webhookId, scope.day).load(scope, [deliveryId]);
    if (d) return d;
  }
  return null;
}

/** The webhook's lifetime counts as stored: its head's archive plus each live partition's totals. */
export async function totalsOf(webhookId: string, organisationId?: number): Promise<{ total: number; successful: number; failed: number }> {
  const org = organisationId ?? (await organisationOf(webhookId));
  const parts = [await healthStub(env, org, webhookId).archived()];
  for (const scope of await partitionsOf(webhookId, org)) parts.push(await deliveryLog(env, org, webhookId, scope.day).totals(scope));
  return parts.reduce((sum, t) => ({ total: sum.total + t.total, successful: sum.successful + t.successful, failed: sum.failed + t.failed }), { total: 0, successful: 0, failed: 0 });
}

/** The stubs of the organisation's shards that exist (looking one up creates nothing). */
async function shardsOf(organisationId: number) {
  const existing = new Set((await listDurableObjectIds(env.EVENT_SHARD)).map((id) => id.toString()));
  return Array.from({ length: EVENT_SHARDS }, (_, s) => env.EVENT_SHARD.idFromName(`${organisationId}:${s}`))
    .filter((id) => existing.has(id.toString()))
    .map((id) => env.EVENT_SHARD.get(id));
}

/**
 * Every event the organisation's shards hold, oldest first: ids read from the shards' day tables,
 * each event as the shard's get() answers it.
 */
export async function eventsOf(organisationId: number): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (const shard of await shardsOf(organisationId)) {
    const ids = await runInDurableObject(shard, (_o, state) =>
      liveDays(state.storage.kv).flatMap((day) => state.storage.sql.exec<{ id: string }>(`SELECT id FROM ${tableOf(day)}`).toArray().map((r) => r.id)),
    );
    for (const id of ids) {
      const e = await shard.get(organisationId, id);
      if (!e) throw new Error(`shard lists event ${id} but get() does not find it`);
      out.push(e);
    }
  }
  return out.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * What is left in one partition's storage: rows per table (the migrator's bookkeeping left out)
 * and kv keys. A dropped partition answers {} and [].
 */
export async function partitionLeftovers(organisationId: number, webhookId: string, day: number) {
  return runInDurableObject(deliveryLog(env, organisationId, webhookId, day), (_o, state) => {
    const rows: Record<string, number> = {};
    const tables = state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE '\\_\\_drizzle%' ESCAPE '\\'")
      .toArray();
    for (const { name } of tables) {
      const n = state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM "${name}"`).one().n;
      if (n > 0) rows[name] = n;
    }
    return { rows, kv: [...state.storage.kv.list()].map(([k]) => k) };
  });
}

/** Traffic no longer written to D1 (migration 0014): a count of them would always pass. */
const MOVED = new Set(["events", "deliveries", "attempts", "webhook_latency"]);

/** Rows of a D1 (control plane) table. */
export async function count(table: string, where = "1 = 1", ...binds: unknown[]): Promise<number> {
  if (MOVED.has(table)) throw new Error(`${table} is no longer in D1: use eventsOf / deliveriesOf / attemptsOf`);
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).bind(...binds).first<{ n: number }>();
  return row!.n;
}

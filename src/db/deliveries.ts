/**
 * Tenant-scoped reads of one delivery with its attempts, and of one event with its deliveries
 * (the delivery's detail, the event lookup and resend). The traffic lives in objects (the
 * delivery in its webhook's partition for the day its id carries, the body in its event's
 * shard); D1 gives the control plane: the webhook's status and each attempt's revision. The
 * organisation id is part of every object's name, so another organisation's ids find nothing.
 */
import type { Env } from "../env";
import type { AttemptDetailRow, DeliveryState, LogScope } from "../storage/contract";
import { dayOfDelivery, shardOfDelivery } from "../storage/partitions";
import { requestedDeliveryDay } from "../storage/requested-delivery";
import { deliveryLog, eventShard, eventShardAt } from "../storage/stubs";
import { ownedWebhooks } from "./webhooks";

export interface DeliveryRecord {
  id: string;
  organisation_id: number;
  webhook_id: string;
  event_id: string;
  event: string;
  status: "pending" | "success" | "failed" | "skipped";
  attempts: number;
  test: number;
  created_at: number;
  /** The exact payload sent; null for a test event or a check, whose body is not stored. */
  body: string | null;
  webhook_status: "inactive" | "active" | "paused";
  paused_reason: string | null;
}

/** An attempt with what its request is built again from: the revision it was sent with. */
export type AttemptDetailRecord = AttemptDetailRow & {
  /** Null when the attempt has no revision (a skip) or its revision is gone. */
  url: string | null;
  method: string | null;
  headers_enc: string | null;
  secret_enc: string | null;
  previous_secret_enc: string | null;
  previous_secret_expires_at: number | null;
};

type WebhookState = Pick<DeliveryRecord, "webhook_status" | "paused_reason">;
type Revision = Pick<AttemptDetailRecord, "url" | "method" | "headers_enc" | "secret_enc" | "previous_secret_enc" | "previous_secret_expires_at"> & { id: string };

const webhookQuery = (env: Env, organisationId: number, webhookId: string) =>
  env.DB.prepare("SELECT status AS webhook_status, paused_reason FROM webhooks WHERE organisation_id = ? AND id = ?").bind(organisationId, webhookId);

const revisionQuery = (env: Env, organisationId: number, ids: string[]) =>
  env.DB.prepare(
    `SELECT id, url, method, headers_enc, secret_enc, previous_secret_enc, previous_secret_expires_at
       FROM webhook_revisions WHERE organisation_id = ? AND id IN (${ids.map(() => "?").join(",")})`,
  ).bind(organisationId, ...ids);

/** D1 binds at most 100 parameters per statement: a delivery's attempts use a few revisions, a much-resent one may use more. */
const CHUNK = 90;
const chunks = (xs: string[]) => Array.from({ length: Math.ceil(xs.length / CHUNK) }, (_, i) => xs.slice(i * CHUNK, (i + 1) * CHUNK));

/** The payload as stored in the event's shard; null for a test event or a check (sent in the request, never stored). */
async function bodyOf(env: Env, d: DeliveryState): Promise<string | null> {
  if (d.call === 1) return null;
  const bodies = await eventShard(env, d.organisation_id, d.event_id).bodies(d.organisation_id, [d.event_id]);
  return bodies[d.event_id] ?? null;
}

const record = (d: DeliveryState, body: string | null, webhook: WebhookState): DeliveryRecord => ({
  id: d.id,
  organisation_id: d.organisation_id,
  webhook_id: d.webhook_id,
  event_id: d.event_id,
  event: d.event,
  status: d.status,
  attempts: d.attempts,
  test: d.test,
  created_at: d.created_at,
  body,
  webhook_status: webhook.webhook_status,
  paused_reason: webhook.paused_reason,
});

/** The partition a requested delivery id names, or null (a 404) when it names none. */
function scopeOf(env: Env, organisationId: number, webhookId: string, deliveryId: string): LogScope | null {
  const day = requestedDeliveryDay(env, deliveryId);
  return day === null ? null : { organisationId, webhookId, day };
}

/** The delivery, or null when the organisation has no such delivery of that webhook. */
export async function findDelivery(env: Env, organisationId: number, webhookId: string, deliveryId: string): Promise<DeliveryRecord | null> {
  const scope = scopeOf(env, organisationId, webhookId, deliveryId);
  if (!scope) return null;
  const [[delivery], webhook] = await Promise.all([
    deliveryLog(env, organisationId, webhookId, scope.day).load(scope, [deliveryId]),
    webhookQuery(env, organisationId, webhookId).first<WebhookState>(),
  ]);
  // No webhook: deleted, its partitions not yet dropped by its head.
  if (!webhook) return null;
  if (!delivery) return unattempted(env, organisationId, webhookId, deliveryId, webhook);
  return record(delivery, await bodyOf(env, delivery), webhook);
}

/**
 * A delivery its partition does not hold: not attempted yet, if its event's shard (which its id
 * names) gave it to this webhook; pending, with no attempt. Null otherwise.
 */
async function unattempted(env: Env, organisationId: number, webhookId: string, deliveryId: string, webhook: WebhookState): Promise<DeliveryRecord | null> {
  const shard = shardOfDelivery(deliveryId);
  if (shard === null) return null;
  const found = await eventShardAt(env, organisationId, shard).deliveryOf(organisationId, deliveryId);
  if (!found || found.entry.webhook_id !== webhookId || found.entry.status !== "pending") return null;
  return {
    id: deliveryId, organisation_id: organisationId, webhook_id: webhookId, event_id: found.event.id, event: found.event.event,
    status: "pending", attempts: 0, test: 0, created_at: found.event.created_at, body: found.event.body,
    webhook_status: webhook.webhook_status, paused_reason: webhook.paused_reason,
  };
}

/**
 * The delivery and its attempts in order, or null: the partition's detail, then the webhook and
 * every revision its attempts were sent with in one D1 batch, beside the body from the shard.
 */
export async function findDeliveryDetail(
  env: Env,
  organisationId: number,
  webhookId: string,
  deliveryId: string,
): Promise<{ delivery: DeliveryRecord; attempts: AttemptDetailRecord[] } | null> {
  const scope = scopeOf(env, organisationId, webhookId, deliveryId);
  if (!scope) return null;
  const found = await deliveryLog(env, organisationId, webhookId, scope.day).detail(scope, deliveryId);
  if (!found) {
    const webhook = await webhookQuery(env, organisationId, webhookId).first<WebhookState>();
    const delivery = webhook && (await unattempted(env, organisationId, webhookId, deliveryId, webhook));
    return delivery ? { delivery, attempts: [] } : null;
  }
  const revisionIds = [...new Set(found.attempts.flatMap((a) => (a.revision_id === null ? [] : [a.revision_id])))];
  const [[webhook, ...revisions], body] = await Promise.all([
    env.DB.batch([webhookQuery(env, organisationId, webhookId), ...chunks(revisionIds).map((ids) => revisionQuery(env, organisationId, ids))]),
    bodyOf(env, found.delivery),
  ]);
  const hook = webhook!.results[0] as WebhookState | undefined;
  if (!hook) return null;
  const byId = new Map(revisions.flatMap((res) => res.results as Revision[]).map((r) => [r.id, r]));
  const attempts = found.attempts.map((a): AttemptDetailRecord => {
    // Null when the attempt has no revision (a skip) or its revision is gone.
    const r = a.revision_id === null ? undefined : byId.get(a.revision_id);
    return {
      ...a,
      url: r?.url ?? null,
      method: r?.method ?? null,
      headers_enc: r?.headers_enc ?? null,
      secret_enc: r?.secret_enc ?? null,
      previous_secret_enc: r?.previous_secret_enc ?? null,
      previous_secret_expires_at: r?.previous_secret_expires_at ?? null,
    };
  });
  return { delivery: record(found.delivery, body, hook), attempts };
}

export interface EventRecord {
  id: string;
  event: string;
  body: string;
  deliveries: { id: string; webhook_id: string; status: string; attempts: number }[];
}

/**
 * An event of the organisation with each of its deliveries, or null: the event from its shard,
 * then its fan-out's deliveries from their webhooks' partitions (one call per webhook, in
 * parallel). A delivery its partition does not hold is pending with no attempt yet, unless its
 * webhook was deleted: then it is left out.
 */
export async function findEvent(env: Env, organisationId: number, eventId: string): Promise<EventRecord | null> {
  const event = await eventShard(env, organisationId, eventId).get(organisationId, eventId);
  if (!event) return null;
  const byPartition = new Map<string, { scope: LogScope; ids: string[] }>();
  for (const f of event.fanout) {
    const day = dayOfDelivery(f.delivery_id);
    const key = `${f.webhook_id}:${day}`;
    const group = byPartition.get(key) ?? { scope: { organisationId, webhookId: f.webhook_id, day }, ids: [] };
    group.ids.push(f.delivery_id);
    byPartition.set(key, group);
  }
  const loaded = (await Promise.all(
    [...byPartition.values()].map(({ scope, ids }) => deliveryLog(env, organisationId, scope.webhookId, scope.day).load(scope, ids)),
  )).flat();
  // Not in its partition: not attempted yet (src/delivery/accept-event.ts), unless its webhook was deleted.
  const found = new Set(loaded.map((d) => d.id));
  const unattempted = event.fanout.filter((f) => !found.has(f.delivery_id));
  const live = await ownedWebhooks(env.DB, organisationId, unattempted.map((f) => f.webhook_id));
  const deliveries = [
    ...loaded.map((d) => ({ id: d.id, webhook_id: d.webhook_id, status: d.status, attempts: d.attempts })),
    ...unattempted.filter((f) => live.has(f.webhook_id)).map((f) => ({ id: f.delivery_id, webhook_id: f.webhook_id, status: "pending", attempts: 0 })),
  ]
    .sort((a, b) => (a.webhook_id === b.webhook_id ? cmp(a.id, b.id) : cmp(a.webhook_id, b.webhook_id)));
  return { id: event.id, event: event.event, body: event.body, deliveries };
}

/** Binary order, as SQLite's ORDER BY on TEXT compared them. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

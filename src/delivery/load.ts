/**
 * Everything a batch's attempts need, read in parallel: the deliveries from their webhooks'
 * partitions (one call per webhook and day; a first attempt's delivery is not there yet, and is
 * taken from its message), the bodies from the messages (or, for a message
 * that carries none, from the event's shard: one call per shard), and the control plane from D1 in one read (each revision's URL, headers and secrets,
 * each webhook's status and lane). Nothing here writes.
 */
import type { Env } from "../env";
import { retryTransient } from "../lib/transient";
import type { DeliveryState } from "../storage/contract";
import { dayOfDelivery, shardOf, timeOfId } from "../storage/partitions";
import { deliveryLog, eventShard } from "../storage/stubs";
import { fault } from "./faults";
import type { DeliveryMessage } from "./messages";

/** Everything one attempt needs: the delivery as its partition holds it, its body, its revision and its webhook's state. */
export type DeliveryRow = Pick<DeliveryState, "id" | "organisation_id" | "webhook_id" | "revision_id" | "event_id" | "event" | "status" | "attempts" | "last_attempt"> & {
  /** False for a first attempt whose delivery is not in its partition yet: recording it creates it (src/durable/delivery-log/record.ts). */
  stored: boolean;
  body: string;
  url: string;
  method: string;
  headers_enc: string;
  secret_enc: string;
  /** The revision's previous secret during a rotation's overlap, and when it stops signing. */
  previous_secret_enc: string | null;
  previous_secret_expires_at: number | null;
  webhook_status: "inactive" | "active" | "paused" | null;
  /** As the head last mirrored it to D1: a success calls the head only when there is a streak to end. */
  failure_streak: number | null;
  /** Set while the webhook is in the slow lane (lanes.ts). */
  slow_since: number | null;
  /** The revision's retry_schedule (JSON): a pending delivery keeps the schedule it was created with. */
  retry_schedule: string;
};

/** Where a message's delivery lives. */
export type DeliveryRef = Pick<DeliveryMessage, "delivery_id" | "attempt" | "organisation_id" | "webhook_id" | "event_id" | "revision_id" | "event" | "body">;

type Revision = Pick<DeliveryRow, "url" | "method" | "retry_schedule" | "headers_enc" | "secret_enc" | "previous_secret_enc" | "previous_secret_expires_at"> & { id: string };
type Hook = { id: string; organisation_id: number; status: DeliveryRow["webhook_status"]; slow_since: number | null; failure_streak: number };

/** D1 binds at most 100 parameters per statement. */
const CHUNK = 90;
const chunks = <T>(xs: T[]) => Array.from({ length: Math.ceil(xs.length / CHUNK) }, (_, i) => xs.slice(i * CHUNK, (i + 1) * CHUNK));
const groupBy = <T>(xs: T[], key: (x: T) => string) => {
  const out = new Map<string, T[]>();
  for (const x of xs) out.set(key(x), [...(out.get(key(x)) ?? []), x]);
  return out;
};

/** The deliveries of these messages that exist, with what sending them needs; a deleted webhook's are left out. */
export async function loadDeliveries(env: Env, refs: DeliveryRef[]): Promise<Map<string, DeliveryRow>> {
  const out = new Map<string, DeliveryRow>();
  const unique = [...new Map(refs.map((r) => [r.delivery_id, r])).values()];
  if (unique.length === 0) return out;
  // Reads: safe to try again on a transient error.
  const [stored, bodies] = await Promise.all([
    readStates(env, unique),
    readBodies(env, unique),
  ]);
  const found = new Set(stored.map((s) => s.id));
  const states = [...stored, ...unique.filter((r) => !found.has(r.delivery_id)).flatMap(unstored)];
  const { revisions, hooks } = await readControlPlane(env, states);
  for (const s of states) {
    const rev = revisions.get(s.revision_id);
    const hook = hooks.get(s.webhook_id);
    const body = bodies.get(`${s.organisation_id}:${s.event_id}`);
    // A deleted webhook (its revisions go with it) or an event past retention: nothing to send.
    if (!rev || !hook || hook.organisation_id !== s.organisation_id || body === undefined) continue;
    out.set(s.id, {
      stored: found.has(s.id), id: s.id, organisation_id: s.organisation_id, webhook_id: s.webhook_id, revision_id: s.revision_id,
      event_id: s.event_id, event: s.event, status: s.status, attempts: s.attempts, last_attempt: s.last_attempt,
      body, url: rev.url, method: rev.method, retry_schedule: rev.retry_schedule, headers_enc: rev.headers_enc,
      secret_enc: rev.secret_enc, previous_secret_enc: rev.previous_secret_enc, previous_secret_expires_at: rev.previous_secret_expires_at,
      webhook_status: hook.status, slow_since: hook.slow_since, failure_streak: hook.failure_streak,
    });
  }
  return out;
}

/**
 * A first attempt's delivery that its partition does not hold yet: pending, nothing attempted, as
 * its message describes it. Any later attempt's delivery is stored (its first attempt was logged
 * before the retry was enqueued); one missing is gone (its partition dropped), so nothing is sent.
 */
function unstored(r: DeliveryRef): DeliveryState[] {
  if (r.attempt !== 1 || r.revision_id === undefined || r.event === undefined) return [];
  const created = timeOfId(r.delivery_id);
  return [{
    id: r.delivery_id, organisation_id: r.organisation_id, webhook_id: r.webhook_id, revision_id: r.revision_id, event_id: r.event_id, event: r.event,
    status: "pending", attempts: 0, last_attempt: null, next_attempt_at: created, test: 0, call: 0, created_at: created, updated_at: created,
  }];
}

/** One call per partition (webhook and day). */
async function readStates(env: Env, refs: DeliveryRef[]): Promise<DeliveryState[]> {
  const groups = groupBy(refs, (r) => `${r.organisation_id}:${r.webhook_id}:${dayOfDelivery(r.delivery_id)}`);
  const found = await Promise.all(
    [...groups.values()].map((group) => {
      const { organisation_id: org, webhook_id: webhookId, delivery_id } = group[0]!;
      const day = dayOfDelivery(delivery_id);
      return retryTransient(() => {
        fault("storage");
        return deliveryLog(env, org, webhookId, day).load({ organisationId: org, webhookId, day }, group.map((r) => r.delivery_id));
      });
    }),
  );
  return found.flat();
}

/** The bodies the messages carry; the others from their shards, one call per shard. Keyed organisation:event id. */
async function readBodies(env: Env, refs: DeliveryRef[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of refs) if (r.body !== undefined) out.set(`${r.organisation_id}:${r.event_id}`, r.body);
  const groups = groupBy(refs.filter((r) => !out.has(`${r.organisation_id}:${r.event_id}`)), (r) => `${r.organisation_id}:${shardOf(r.event_id)}`);
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const org = group[0]!.organisation_id;
      const ids = [...new Set(group.map((r) => r.event_id))];
      const bodies = await retryTransient(() => eventShard(env, org, ids[0]!).bodies(org, ids));
      for (const [id, body] of Object.entries(bodies)) out.set(`${org}:${id}`, body);
    }),
  );
  return out;
}

/** The revisions and webhooks of these deliveries, in one D1 read. */
async function readControlPlane(env: Env, states: DeliveryState[]) {
  const revisionIds = [...new Set(states.map((s) => s.revision_id))];
  const webhookIds = [...new Set(states.map((s) => s.webhook_id))];
  const stmts = [
    ...chunks(revisionIds).map((ids) =>
      env.DB.prepare(
        `SELECT id, url, method, retry_schedule, headers_enc, secret_enc, previous_secret_enc, previous_secret_expires_at
           FROM webhook_revisions WHERE id IN (${ids.map(() => "?").join(",")})`,
      ).bind(...ids),
    ),
    ...chunks(webhookIds).map((ids) =>
      env.DB.prepare(`SELECT id, organisation_id, status, slow_since, failure_streak FROM webhooks WHERE id IN (${ids.map(() => "?").join(",")})`).bind(...ids),
    ),
  ];
  const revisions = new Map<string, Revision>();
  const hooks = new Map<string, Hook>();
  if (stmts.length === 0) return { revisions, hooks };
  const results = await retryTransient(() => {
    fault("storage");
    return env.DB.batch(stmts);
  });
  const revisionStatements = chunks(revisionIds).length;
  results.forEach((res, i) => {
    for (const row of res.results as Record<string, unknown>[]) {
      if (i < revisionStatements) revisions.set(row.id as string, row as unknown as Revision);
      else hooks.set(row.id as string, row as unknown as Hook);
    }
  });
  return { revisions, hooks };
}

/**
 * Ingest: record an event in its shard, then enqueue its deliveries. No D1 write, nor a D1 read
 * per event: the fan-out (which of the organisation's webhooks are subscribed, and whether they
 * are active or paused) is the isolate's, asked of the organisation's object at most once a
 * second per event type, which reads D1 about once a minute (src/db/fanout-cache.ts).
 * One object call whatever the fan-out: the event, with its delivery ids,
 * is durable in its shard before anyone is told 202, and a pending delivery is first written to
 * its webhook's partition with its first attempt (src/durable/delivery-log/record.ts). What the
 * queue does not take, or loses, the shard's sweep finds (src/durable/event-shard/sweep.ts): it
 * writes the delivery to its partition, whose sweep owns it from then on, and enqueues it again.
 * Skipped deliveries (a paused webhook) are logged in their partitions here, as their one attempt.
 *
 * Idempotency on event_id: every copy of an id reaches the same shard, which runs one call at a
 * time, so concurrent duplicates store one event with one set of delivery ids. A duplicate is
 * told the stored answer (or 409 when its body differs) and completes the fan-out again: the
 * skips are logged (once), and a delivery not attempted yet is enqueued again (fanOut).
 */
import type { Env } from "../env";
import { cachedSubscribers } from "../db/fanout-cache";
import { ApiError } from "../errors";
import { sha256Hex } from "../lib/encoding";
import { canonicalJson } from "../lib/canonical-json";
import { newId } from "../lib/ids";
import { retryTransient } from "../lib/transient";
import { Timing } from "../lib/server-timing";
import type { EventToStore, StoredEvent, StoredFanout } from "../storage/contract";
import { dayOfDelivery } from "../storage/partitions";
import { deliveryLog, eventShard } from "../storage/stubs";
import { sendFromIngest } from "./ingest-sends";
import { firstAttemptMessage } from "./messages";

export interface EventInput {
  organisation_id: number;
  event: string;
  data: Record<string, unknown>;
  event_id?: string;
  timestamp?: string;
}

export interface Accepted {
  event_id: string;
  deliveries: number;
  skipped: number;
  duplicate: boolean;
}

/**
 * The event could not be recorded, or it is not known whether it was. Either way it carries the
 * event id the write used (the caller's, or the one assigned before the write): a retry with it
 * is idempotent, so it can never record the event twice.
 */
export class EventNotRecorded extends Error {
  constructor(
    readonly eventId: string,
    readonly outcome: "not_recorded" | "unknown",
    cause: unknown,
  ) {
    super(`event ${eventId} ${outcome === "unknown" ? "may or may not have been recorded" : "was not recorded"}: ${String(cause)}`, { cause });
  }
}

export async function acceptEvent(env: Env, input: EventInput, timing = new Timing(), waitUntil?: (p: Promise<unknown>) => void): Promise<Accepted> {
  const now = Date.now();
  const orgId = input.organisation_id;
  const eventId = input.event_id ?? newId("evt", now);
  const requestHash = await sha256Hex(canonicalJson({ ...input, event_id: undefined }));
  const timestamp = input.timestamp ?? new Date(now).toISOString();
  // Serialised once: these exact bytes are signed and sent to every receiver.
  const body = JSON.stringify({ event: input.event, event_id: eventId, timestamp, organisation_id: orgId, data: input.data });

  // A read: safe to try again. Nothing is recorded yet, so failing here is "not recorded".
  const hooks = await timing
    .measure("fanout", () => cachedSubscribers(env, orgId, input.event, undefined, now))
    .catch((err: unknown) => {
      throw new EventNotRecorded(eventId, "not_recorded", err);
    });
  if (!hooks) throw new ApiError("NOT_FOUND", `Organisation ${orgId} not found`);

  const toStore: EventToStore = {
    id: eventId,
    event: input.event,
    body,
    request_hash: requestHash,
    created_at: now,
    fanout: hooks.map((w) => ({ webhook_id: w.id, revision_id: w.revision_id, status: w.status === "active" ? "pending" : "skipped" })),
  };
  // The shard's answer is idempotent on the event id, so a transient failure is tried again in
  // place; one that outlasts the retries may or may not have been stored.
  const answer = await timing
    .measure("shard", () => retryTransient(() => eventShard(env, orgId, eventId).accept(orgId, toStore)))
    .catch((err: unknown) => {
      throw new EventNotRecorded(eventId, "unknown", err);
    });
  const stored = answer.event;
  if (answer.duplicate && stored.request_hash !== requestHash) {
    throw new ApiError("CONFLICT", `Event ${eventId} was already accepted with a different body; use a new event_id`);
  }

  // Skips are logged in their partitions (idempotent on the stored delivery ids). Until that is
  // done nothing is told 202; if it fails the caller retries with the same event id.
  const pending = await timing
    .measure("partitions", () => fanOut(env, orgId, stored, answer.duplicate))
    .catch((err: unknown) => {
      throw new EventNotRecorded(eventId, "unknown", err);
    });
  // What the queue does not take, the shard's sweep enqueues: the event is stored. With a
  // request's waitUntil the send follows the answer, shared with concurrent ingests (ingest-sends.ts).
  if (pending.length > 0) await timing.measure("queue", () => sendFromIngest(env, pending, waitUntil));
  return { event_id: eventId, deliveries: stored.deliveries, skipped: stored.skipped, duplicate: answer.duplicate };
}

/**
 * The messages to enqueue, after logging the skipped deliveries. A new event's pending ones are
 * all enqueued, and written nowhere but the shard. A duplicate's pending ones are enqueued again
 * only if their partitions do not hold them (never attempted: the first request may have ended
 * before its send), read, not written; one whose first message is still in the queue may then be
 * sent twice, with the same X-Delivery-ID, and is logged once (src/durable/delivery-log/record.ts).
 */
async function fanOut(env: Env, organisationId: number, e: StoredEvent, duplicate: boolean) {
  const messageOf = (f: StoredFanout) => firstAttemptMessage(organisationId, e, f);
  const created = await Promise.all(
    e.fanout.map(async (f) => {
      if (f.status === "pending" && !duplicate) return [messageOf(f)];
      const day = dayOfDelivery(f.delivery_id);
      const scope = { organisationId, webhookId: f.webhook_id, day };
      const log = deliveryLog(env, organisationId, f.webhook_id, day);
      if (f.status === "pending") return (await retryTransient(() => log.load(scope, [f.delivery_id]))).length === 0 ? [messageOf(f)] : [];
      const delivery = { id: f.delivery_id, event_id: e.id, event: e.event, revision_id: f.revision_id, status: f.status, created_at: e.created_at };
      await retryTransient(() => log.accept(scope, [delivery]));
      return [];
    }),
  );
  return created.flat();
}

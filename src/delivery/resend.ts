/**
 * Resend: one more attempt for ended deliveries, through the same queue as any attempt. The
 * move back to pending happens in each delivery's partition (DeliveryLog.resend), which takes
 * only ended deliveries, so a delivery still pending, or one another resend just took, is left
 * alone and not in the answer. The one path for the route and for recoveries
 * (src/recoveries/run-step.ts), which checkpoint each partition's chunk themselves.
 */
import type { Env } from "../env";
import type { LogScope, Requeue } from "../storage/contract";
import { requestedDeliveryDay } from "../storage/requested-delivery";
import { deliveryLog } from "../storage/stubs";
import { enqueueDeliveries, type Enqueued } from "./enqueue";

export interface Resent {
  delivery_id: string;
  attempt: number;
}

/** How a job (a recovery) narrows a resend and marks what it took. */
export interface ResendOptions {
  /**
   * Only deliveries that ended failed or skipped before this time: one sent again since (by the
   * job itself, by hand, by a replay) is left alone, so a job that reads a page again after a
   * crash sends nothing twice.
   */
  endedBefore?: number;
  /** Marks each delivery taken with the job, so the job's step redone after a crash counts it instead of sending it again. */
  jobId?: string;
}

/** One partition's share: the messages to enqueue, and how many of the ids this job had already re-sent. */
export interface PartitionResend {
  messages: Enqueued[];
  alreadyByJob: number;
}

/**
 * The webhook's current revision: a resend goes with today's URL, headers and secret (the
 * receiver verifies with the secret it has now). Null when the webhook is not the organisation's.
 */
export async function currentRevision(env: Env, organisationId: number, webhookId: string): Promise<string | null> {
  const row = await env.DB.prepare("SELECT revision_id FROM webhooks WHERE organisation_id = ? AND id = ?")
    .bind(organisationId, webhookId)
    .first<{ revision_id: string }>();
  return row?.revision_id ?? null;
}

/** The queue message of a delivery moved back to pending in this partition. */
export const messageOf = (scope: LogScope, r: Requeue): Enqueued => ({
  delivery_id: r.delivery_id,
  attempt: r.attempt,
  organisation_id: scope.organisationId,
  webhook_id: scope.webhookId,
  event_id: r.event_id,
});

/**
 * Back to pending in one partition: with the given revision, the id kept (the receiver dedupes
 * on X-Delivery-ID and webhook-id), and `last_attempt` set so that this attempt is its last
 * whatever comes of it. Nothing is enqueued here: the caller does, once its own writes are done.
 */
export async function resendInPartition(
  env: Env,
  scope: LogScope,
  ids: string[],
  revisionId: string,
  opts: ResendOptions,
  now = Date.now(),
): Promise<PartitionResend> {
  const { resent, alreadyByJob } = await deliveryLog(env, scope.organisationId, scope.webhookId, scope.day).resend(scope, ids, revisionId, {
    endedBefore: opts.endedBefore,
    jobId: opts.jobId,
    now,
  });
  return { messages: resent.map((r) => messageOf(scope, r)), alreadyByJob };
}

/**
 * One more attempt for each of these ended deliveries (success, failed or skipped) of the
 * webhook, grouped by partition, the partitions in parallel. An id that names no partition (not
 * one of ours) is left out like a missing delivery. What the queue does not take stays pending
 * and due: its partition's sweep sends it.
 */
export async function resendDeliveries(env: Env, organisationId: number, webhookId: string, deliveryIds: string[]): Promise<Resent[]> {
  const revisionId = await currentRevision(env, organisationId, webhookId);
  if (revisionId === null) return [];
  const now = Date.now();
  const byDay = new Map<number, string[]>();
  for (const id of deliveryIds) {
    const day = requestedDeliveryDay(env, id, now);
    if (day !== null) byDay.set(day, [...(byDay.get(day) ?? []), id]);
  }
  const parts = await Promise.all(
    [...byDay].map(([day, ids]) => resendInPartition(env, { organisationId, webhookId, day }, ids, revisionId, {}, now)),
  );
  const messages = parts.flatMap((p) => p.messages);
  await enqueueDeliveries(env, messages);
  return messages.map(({ delivery_id, attempt }) => ({ delivery_id, attempt }));
}

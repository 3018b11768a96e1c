import type { Env } from "../env";
import { enqueueDeliveries } from "./enqueue";

/** D1 binds at most 100 parameters per statement: 90 ids and 4 others. */
const CHUNK = 90;

export interface Resent {
  delivery_id: string;
  attempt: number;
}

/** How a job (a recovery, src/recoveries/run-step.ts) narrows a resend and records it. */
export interface ResendScope {
  /**
   * Only deliveries that ended failed or skipped before this time: one sent again since (by the
   * job itself, by hand, by a replay) is left alone, so a job that reads a page again after a
   * crash sends nothing twice.
   */
  endedBefore?: number;
  /**
   * Written in the same D1 transaction as each chunk's update, so that a job's checkpoint cannot
   * part from the deliveries it records. In it, SQLite's `changes()` is the chunk's count.
   */
  checkpoint?: (chunk: string[]) => D1PreparedStatement;
}

/**
 * One more attempt for each of these ended deliveries (success, failed or skipped): back to
 * pending with the webhook's current revision (so the current secret signs it), its id kept (the
 * receiver dedupes on X-Delivery-ID and webhook-id), and `last_attempt` set so that this attempt
 * is its last whatever comes of it. The attempt goes through the queue like any other: logged,
 * counted and announced the same way. A delivery still pending, or another webhook's, is left
 * alone and not in the answer.
 */
export async function resendDeliveries(
  env: Env,
  organisationId: number,
  webhookId: string,
  deliveryIds: string[],
  scope: ResendScope = {},
): Promise<Resent[]> {
  const now = Date.now();
  const resent: Resent[] = [];
  for (let i = 0; i < deliveryIds.length; i += CHUNK) {
    const ids = deliveryIds.slice(i, i + CHUNK);
    const update = env.DB.prepare(
      `UPDATE deliveries
          SET status = 'pending', last_attempt = attempts + 1, next_attempt_at = ?1, updated_at = ?1,
              revision_id = (SELECT revision_id FROM webhooks WHERE organisation_id = ?2 AND id = ?3)
        WHERE organisation_id = ?2 AND webhook_id = ?3 AND status IN ('success', 'failed', 'skipped')
          AND (?4 IS NULL OR (status IN ('failed', 'skipped') AND updated_at < ?4))
          AND id IN (${ids.map((_, j) => `?${j + 5}`).join(",")})
        RETURNING id, attempts`,
    ).bind(now, organisationId, webhookId, scope.endedBefore ?? null, ...ids);
    // D1 runs a batch as one transaction: the chunk and the job's checkpoint commit together or not at all.
    const [changed] = scope.checkpoint ? await env.DB.batch([update, scope.checkpoint(ids)]) : [await update.all()];
    const results = changed!.results as { id: string; attempts: number }[];
    resent.push(...results.map((r) => ({ delivery_id: r.id, attempt: r.attempts + 1 })));
  }
  // What the queue does not take stays pending and due: the sweeper sends it.
  await enqueueDeliveries(env, resent);
  return resent;
}

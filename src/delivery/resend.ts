import type { Env } from "../env";
import { enqueueDeliveries } from "./enqueue";

/** D1 binds at most 100 parameters per statement. */
const CHUNK = 90;

export interface Resent {
  delivery_id: string;
  attempt: number;
}

/**
 * One more attempt for each of these ended deliveries (success, failed or skipped): back to
 * pending with the webhook's current revision (so the current secret signs it), its id kept (the
 * receiver dedupes on X-Delivery-ID and webhook-id), and `last_attempt` set so that this attempt
 * is its last whatever comes of it. The attempt goes through the queue like any other: logged,
 * counted and announced the same way. A delivery still pending, or another webhook's, is left
 * alone and not in the answer.
 */
export async function resendDeliveries(env: Env, organisationId: number, webhookId: string, deliveryIds: string[]): Promise<Resent[]> {
  const now = Date.now();
  const resent: Resent[] = [];
  for (let i = 0; i < deliveryIds.length; i += CHUNK) {
    const ids = deliveryIds.slice(i, i + CHUNK);
    const { results } = await env.DB.prepare(
      `UPDATE deliveries
          SET status = 'pending', last_attempt = attempts + 1, next_attempt_at = ?1, updated_at = ?1,
              revision_id = (SELECT revision_id FROM webhooks WHERE organisation_id = ?2 AND id = ?3)
        WHERE organisation_id = ?2 AND webhook_id = ?3 AND status IN ('success', 'failed', 'skipped')
          AND id IN (${ids.map((_, j) => `?${j + 4}`).join(",")})
        RETURNING id, attempts`,
    )
      .bind(now, organisationId, webhookId, ...ids)
      .all<{ id: string; attempts: number }>();
    resent.push(...results.map((r) => ({ delivery_id: r.id, attempt: r.attempts + 1 })));
  }
  // What the queue does not take stays pending and due: the sweeper sends it.
  await enqueueDeliveries(env, resent);
  return resent;
}

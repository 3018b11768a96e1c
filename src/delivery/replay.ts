import type { Env } from "../env";
import { enqueueDeliveries } from "./enqueue";

const REPLAY_LIMIT = 10_000;

/**
 * On resume with replay_skipped: skipped deliveries become pending again and are enqueued.
 * Each keeps the revision (URL, secret, headers) it was created with, and its attempt count.
 * Up to 10,000 take 4 s to enqueue at the paced rate; whatever the queue refuses stays pending
 * and the sweeper sends it once overdue.
 */
export async function replaySkipped(env: Env, organisationId: number, webhookId: string): Promise<number> {
  const now = Date.now();
  const { results } = await env.DB.prepare(
    `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ?
      WHERE id IN (SELECT id FROM deliveries WHERE organisation_id = ? AND webhook_id = ? AND status = 'skipped' AND test = 0 LIMIT ?)
      RETURNING id, attempts`,
  )
    .bind(now, now, organisationId, webhookId, REPLAY_LIMIT)
    .all<{ id: string; attempts: number }>();
  await enqueueDeliveries(env, results.map((r) => ({ delivery_id: r.id, attempt: r.attempts + 1 })));
  return results.length;
}

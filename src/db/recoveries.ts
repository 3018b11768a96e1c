/**
 * The recoveries table. Reads for the API take the organisation id; the job itself is found by
 * the id its queue message carries (src/db/recovery-job.ts) and works within the organisation
 * its row names. The rows are D1's (the control plane); what a recovery counts and re-sends is
 * in the webhook's partitions (DeliveryLog).
 */
import type { Env } from "../env";
import { webhookPartitions } from "../storage/webhook-partitions";
import { deliveryLog } from "../storage/stubs";

export interface RecoveryRecord {
  id: string;
  organisation_id: number;
  webhook_id: string;
  status: "pending" | "running" | "done" | "failed";
  since_at: number;
  until_at: number;
  total: number;
  sent: number;
  error: string | null;
  created_at: number;
  updated_at: number;
}

const COLUMNS = "id, organisation_id, webhook_id, status, since_at, until_at, total, sent, error, created_at, updated_at";

/**
 * The window's deliveries that ended failed or skipped before `endedBefore`: the sum over the
 * webhook's partitions whose days overlap [since, until), counted in parallel (at most 32 calls
 * for the widest window).
 */
async function recoverableTotal(env: Env, r: { organisationId: number; webhookId: string; since: number; until: number }, endedBefore: number): Promise<number> {
  const scopes = await webhookPartitions(env, r.organisationId, r.webhookId, { since: r.since, until: r.until });
  const counts = await Promise.all(
    scopes.map((scope) => deliveryLog(env, r.organisationId, r.webhookId, scope.day).countRecoverable(scope, { since: r.since, until: r.until, endedBefore })),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Inserts the recovery with its `total` (the window's deliveries that ended failed or skipped
 * before it began: what its steps take, src/db/recovery-job.ts), only if the webhook is the
 * organisation's and has no unfinished recovery; answers whether it did. The insert is one
 * statement, so two requests at once cannot both pass the check; the count comes before it from
 * the partitions, and is wasted only when the insert is refused.
 */
export async function insertRecovery(
  env: Env,
  r: { id: string; organisationId: number; webhookId: string; since: number; until: number; createdAt: number },
): Promise<boolean> {
  const total = await recoverableTotal(env, r, r.createdAt);
  const res = await env.DB
    .prepare(
      `INSERT INTO recoveries (id, organisation_id, webhook_id, status, since_at, until_at, total, created_at, updated_at)
       SELECT ?1, w.organisation_id, w.id, 'pending', ?2, ?3, ?7, ?4, ?4
         FROM webhooks w WHERE w.organisation_id = ?5 AND w.id = ?6
          AND NOT EXISTS (SELECT 1 FROM recoveries INDEXED BY recoveries_webhook_unfinished
                           WHERE webhook_id = ?6 AND status IN ('pending', 'running'))`,
    )
    .bind(r.id, r.since, r.until, r.createdAt, r.organisationId, r.webhookId, total)
    .run();
  return res.meta.changes === 1;
}

export async function findRecovery(d1: D1Database, organisationId: number, webhookId: string, id: string): Promise<RecoveryRecord | null> {
  return d1
    .prepare(`SELECT ${COLUMNS} FROM recoveries WHERE organisation_id = ? AND webhook_id = ? AND id = ?`)
    .bind(organisationId, webhookId, id)
    .first<RecoveryRecord>();
}

/** The webhook's recovery that is still pending or running, if any. */
export async function findUnfinishedRecovery(d1: D1Database, organisationId: number, webhookId: string): Promise<RecoveryRecord | null> {
  return d1
    .prepare(
      `SELECT ${COLUMNS} FROM recoveries INDEXED BY recoveries_webhook_unfinished
       WHERE webhook_id = ? AND organisation_id = ? AND status IN ('pending', 'running') LIMIT 1`,
    )
    .bind(webhookId, organisationId)
    .first<RecoveryRecord>();
}

/** Fails an unfinished recovery for good, saying why. */
export async function failRecovery(d1: D1Database, id: string, error: string): Promise<void> {
  await d1
    .prepare("UPDATE recoveries SET status = 'failed', error = ?, lease_until = 0, updated_at = ? WHERE id = ? AND status IN ('pending', 'running')")
    .bind(error.slice(0, 500), Date.now(), id)
    .run();
}

/**
 * Unfinished recoveries with no sign of life since `before` (a lost queue message, a step that
 * died without a word), oldest first; each is marked alive now so the next sweep leaves it alone
 * while it waits in the queue again.
 */
export async function takeStaleRecoveries(d1: D1Database, before: number, now: number, limit: number) {
  const { results } = await d1
    .prepare(
      `UPDATE recoveries SET updated_at = ?2
       WHERE id IN (SELECT id FROM recoveries INDEXED BY recoveries_unfinished
                    WHERE status IN ('pending', 'running') AND updated_at < ?1 ORDER BY updated_at LIMIT ?3)
       RETURNING id, tries`,
    )
    .bind(before, now, limit)
    .all<{ id: string; tries: number }>();
  return results;
}

/** The webhook's type and status, for the route's checks before a recovery; null when it is not the organisation's. */
export async function webhookState(d1: D1Database, organisationId: number, webhookId: string) {
  return d1
    .prepare("SELECT type, status FROM webhooks WHERE organisation_id = ? AND id = ?")
    .bind(organisationId, webhookId)
    .first<{ type: "event_notification" | "verification_check"; status: "inactive" | "active" | "paused" }>();
}

/** Up to `limit` (?2) recoveries that ended before ?1, through the partial index recoveries_finished. */
export const FINISHED_RECOVERIES_SQL = "SELECT id FROM recoveries WHERE status IN ('done', 'failed') AND updated_at < ?1 ORDER BY updated_at LIMIT ?2";

/** Deletes up to `limit` recoveries that ended before `before`; answers how many. */
export async function deleteFinishedRecoveries(d1: D1Database, before: number, limit: number): Promise<number> {
  const { meta } = await d1.prepare(`DELETE FROM recoveries WHERE id IN (${FINISHED_RECOVERIES_SQL})`).bind(before, limit).run();
  return meta.changes;
}

import { changingFanout } from "../db/fanout-cache";
import type { Env } from "../env";
import { AUTO_PAUSE_AFTER } from "./policy";
import type { PauseNotice } from "./pause-email";

/** What the webhook's Durable Object writes to D1 for one automatic pause: the pause and its notification row. */

export const PAUSE_REASON = `Paused automatically after ${AUTO_PAUSE_AFTER} consecutive failed deliveries`;

/** An endpoint that answers 410 Gone says it is gone for good: paused at once (effects.ts). */
export const GONE_REASON = "Paused automatically: the endpoint answered 410 Gone";

/** The closed set of a notification's states (migrations/0007). */
export type NotificationStatus = "pending" | "sending" | "sent" | "failed";

/**
 * Pauses the webhook and writes its notification row in one transaction, or neither: the
 * organisation's address is read inside it, so a pause never exists without its record. Safe to
 * run again: only an active webhook is paused, and the row is inserted only by the statement
 * that paused it. True when the pause is ours (the row exists, written now or by an earlier run
 * whose answer was lost); false when the webhook was not active (paused by hand, deleted).
 */
export async function writePause(env: Env, notificationId: string, organisationId: number, webhookId: string, streak: number, reason = PAUSE_REASON): Promise<boolean> {
  const now = Date.now();
  // On the edge this runs in the webhook's object, not in the isolates that ingest: they see the
  // pause within FANOUT_CACHE_MS (the organisation's fan-out object is told at once), and the
  // consumer skips what they fan out to it meanwhile.
  const [, , found] = await changingFanout(env, organisationId, () => env.DB.batch([
    env.DB.prepare(
      "UPDATE webhooks SET status = 'paused', paused_reason = ?, failure_streak = ?, updated_at = ? WHERE organisation_id = ? AND id = ? AND status = 'active'",
    ).bind(reason, streak, now, organisationId, webhookId),
    // changes() is the UPDATE's count; a missing organisation makes recipient NULL and fails the whole batch.
    env.DB.prepare(
      `INSERT INTO notifications (id, organisation_id, webhook_id, kind, recipient, status, tries, created_at, updated_at)
       SELECT ?1, ?2, ?3, 'webhook.auto_paused', (SELECT notification_email FROM organisations WHERE id = ?2), 'pending', 0, ?4, ?4
       WHERE changes() = 1`,
    ).bind(notificationId, organisationId, webhookId, now),
    env.DB.prepare("SELECT 1 AS ours FROM notifications WHERE id = ? AND organisation_id = ?").bind(notificationId, organisationId),
  ]));
  return (found?.results.length ?? 0) > 0;
}

export interface NoticeToSend extends PauseNotice {
  recipient: string;
}

/** Whom to email about what; null when the webhook was deleted (its notifications went with it). */
export async function readNotice(env: Env, notificationId: string, organisationId: number, reason = PAUSE_REASON): Promise<NoticeToSend | null> {
  const row = await env.DB.prepare(
    `SELECT n.recipient, w.id AS webhookId, w.name, w.url FROM notifications n
     JOIN webhooks w ON w.id = n.webhook_id AND w.organisation_id = n.organisation_id
     WHERE n.id = ? AND n.organisation_id = ?`,
  )
    .bind(notificationId, organisationId)
    .first<{ recipient: string; webhookId: string; name: string; url: string }>();
  return row ? { ...row, reason } : null;
}

/** Records where the email is; `error` is the last failed send's, kept when a later one succeeds. */
export async function recordEmail(env: Env, notificationId: string, organisationId: number, status: NotificationStatus, tries: number, error?: string) {
  await env.DB.prepare(
    "UPDATE notifications SET status = ?, tries = ?, error = coalesce(?, error), updated_at = ? WHERE id = ? AND organisation_id = ?",
  )
    .bind(status, tries, error ?? null, Date.now(), notificationId, organisationId)
    .run();
}

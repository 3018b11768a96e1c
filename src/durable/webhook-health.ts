import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { newId } from "../lib/ids";
import { sendPauseEmail } from "./pause-email";

/** The product document: "After 10 consecutive failures, the webhook is automatically paused". */
export const AUTO_PAUSE_AFTER = 10;
/** Delivery ids remembered so that a re-reported failure (a redelivered message) counts once. */
const REMEMBERED = 64;

export interface HealthReport {
  streak: number;
  paused: boolean;
}

/**
 * One per webhook (named organisation:webhook). Counts consecutive failed deliveries; a success
 * resets the count; the 10th pauses the webhook and emails the organisation, once. Requests to
 * one object run one at a time and the count lives in synchronous storage, so concurrent reports
 * cannot both see the 10th.
 */
export class WebhookHealth extends DurableObject<Env> {
  async recordFailure(organisationId: number, webhookId: string, deliveryId: string): Promise<HealthReport> {
    const kv = this.ctx.storage.kv;
    const recent = kv.get<string[]>("recent") ?? [];
    if (recent.includes(deliveryId)) return { streak: kv.get<number>("streak") ?? 0, paused: false };
    const streak = (kv.get<number>("streak") ?? 0) + 1;
    kv.put("streak", streak);
    kv.put("recent", [...recent.slice(-(REMEMBERED - 1)), deliveryId]);

    if (streak !== AUTO_PAUSE_AFTER) {
      await this.mirror(organisationId, webhookId, streak);
      return { streak, paused: false };
    }
    const now = Date.now();
    const reason = `Paused automatically after ${AUTO_PAUSE_AFTER} consecutive failed deliveries`;
    const res = await this.env.DB.prepare(
      "UPDATE webhooks SET status = 'paused', paused_reason = ?, failure_streak = ?, updated_at = ? WHERE organisation_id = ? AND id = ? AND status = 'active' RETURNING name, url",
    )
      .bind(reason, streak, now, organisationId, webhookId)
      .first<{ name: string; url: string }>();
    if (!res) return { streak, paused: false };
    await this.notify(organisationId, webhookId, res.name, res.url, reason);
    return { streak, paused: true };
  }

  async recordSuccess(organisationId: number, webhookId: string): Promise<void> {
    if ((this.ctx.storage.kv.get<number>("streak") ?? 0) === 0) return;
    await this.reset(organisationId, webhookId);
  }

  async reset(organisationId: number, webhookId: string): Promise<void> {
    this.ctx.storage.kv.put("streak", 0);
    this.ctx.storage.kv.put("recent", []);
    await this.mirror(organisationId, webhookId, 0);
  }

  /** The webhook was deleted: nothing of it stays behind. */
  async forget(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  streak(): number {
    return this.ctx.storage.kv.get<number>("streak") ?? 0;
  }

  private async mirror(organisationId: number, webhookId: string, streak: number) {
    await this.env.DB.prepare("UPDATE webhooks SET failure_streak = ? WHERE organisation_id = ? AND id = ?")
      .bind(streak, organisationId, webhookId)
      .run();
  }

  /** One email per automatic pause, recorded in notifications whether or not it went out. */
  private async notify(organisationId: number, webhookId: string, name: string, url: string, reason: string) {
    const org = await this.env.DB.prepare("SELECT notification_email FROM organisations WHERE id = ?")
      .bind(organisationId)
      .first<{ notification_email: string }>();
    if (!org) return;
    let error: string | null = null;
    try {
      await sendPauseEmail(this.env, org.notification_email, { webhookId, name, url, reason });
    } catch (err) {
      error = String(err).slice(0, 500);
      console.error(JSON.stringify({ level: "error", msg: "pause email failed", webhookId, error }));
    }
    await this.env.DB.prepare(
      "INSERT INTO notifications (id, organisation_id, webhook_id, kind, recipient, error, created_at) VALUES (?, ?, ?, 'webhook.auto_paused', ?, ?, ?)",
    )
      .bind(newId("ntf"), organisationId, webhookId, org.notification_email, error, Date.now())
      .run();
  }
}

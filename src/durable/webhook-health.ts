import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { newId } from "../lib/ids";
import type { Totals } from "../storage/contract";
import { noticeFault } from "./faults";
import { beginForget, forgetAlso, forgetDue, forgetting, runForget } from "./head/forget";
import { addPartition, retentionDue, runRetention } from "./head/partitions";
import { archivedTotals, claim, livePartitions } from "./head/state";
import { armRefresh, markDirty, newReadMemory, refreshDue, refreshSummary } from "./head/summary";
import { sendNoticeEmail, type Notice } from "./pause-notice";
import { writePause } from "./pause-record";
import { AUTO_PAUSE_AFTER, NOTICE_RETRY_DELAYS_MS, REMEMBERED } from "./policy";

export { AUTO_PAUSE_AFTER } from "./policy";

export interface HealthReport {
  streak: number;
  paused: boolean;
}

const log = (level: string, msg: string, fields: Record<string, unknown>) => console.error(JSON.stringify({ level, msg, ...fields }));

/**
 * One per webhook (named organisation:webhook). Counts consecutive failed deliveries; a success
 * resets the count. At 10 or more, until it is done, the webhook owes one pause and one email:
 * a notice kept in this object's storage, written in the same storage write as the alarm that
 * finishes it. The report that opens it writes the pause at once; if that fails, the next report
 * (a re-report of the same delivery too) or the alarm writes it. The email is sent by the alarm,
 * with retries (src/durable/pause-notice.ts). The count lives in synchronous storage, so
 * concurrent reports cannot both open a notice.
 *
 * It is also the webhook's head (issue 15): the list of its partitions (one DeliveryLog per UTC
 * day, src/durable/head/partitions.ts) with their retention, the totals folded in from dropped
 * ones, the summary it writes to D1 for lists (src/durable/head/summary.ts), and the drop of every
 * partition when the webhook is deleted (src/durable/head/forget.ts). One alarm serves all of it:
 * it is set to the earliest due of the notices, the refresh, the retention and the forgetting.
 */
export class WebhookHealth extends DurableObject<Env> {
  /** Notice steps run one at a time: other requests run while D1 or the email is awaited. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Which partitions the summary refresh must read, and the totals it read (head/summary.ts). Public for tests. */
  readonly reads = newReadMemory();
  private pausing = false;
  /** Upkeep runs one at a time too: an alarm run by hand while the runtime's is under way waits, then finds done what was done. */
  private upkeeping: Promise<unknown> = Promise.resolve();

  /**
   * A failed end of attempt `attempt` of a delivery. Counted once per (delivery, attempt): a
   * re-report (a redelivered message) counts once, a resent delivery that fails again counts again.
   * `pauseReason`: this failure pauses the webhook now, whatever the count (pauseAtOnce).
   */
  async recordFailure(organisationId: number, webhookId: string, deliveryId: string, attempt: number, pauseReason?: string): Promise<HealthReport> {
    const kv = this.ctx.storage.kv;
    const recent = kv.get<string[]>("recent") ?? [];
    const key = `${deliveryId}:${attempt}`;
    const counted = recent.includes(key);
    let streak = kv.get<number>("streak") ?? 0;
    if (!counted) {
      streak += 1;
      kv.put("streak", streak);
      kv.put("recent", [...recent.slice(-(REMEMBERED - 1)), key]);
    }
    if ((streak >= AUTO_PAUSE_AFTER || pauseReason) && kv.get<string>("pause") === undefined) await this.open(organisationId, webhookId, streak, pauseReason);

    const owed = this.notices().find((n) => n.step === "pause");
    if (owed && !this.pausing && (await this.pauseNow(owed.id))) return { streak, paused: true };
    if (!counted) await this.mirror(organisationId, webhookId, streak);
    return { streak, paused: false };
  }

  /**
   * A failure that pauses the webhook at once (an endpoint that answered 410 Gone), by the same
   * path as the auto-pause: one notice, the pause written now or retried, the email from the alarm.
   */
  async pauseAtOnce(organisationId: number, webhookId: string, deliveryId: string, attempt: number, reason: string): Promise<HealthReport> {
    return this.recordFailure(organisationId, webhookId, deliveryId, attempt, reason);
  }

  async recordSuccess(organisationId: number, webhookId: string): Promise<void> {
    if ((this.ctx.storage.kv.get<number>("streak") ?? 0) === 0) return;
    await this.reset(organisationId, webhookId);
  }

  /** A new run of failures starts; a notice still open (a pause owed, an email unsent) is finished all the same. */
  async reset(organisationId: number, webhookId: string): Promise<void> {
    this.ctx.storage.kv.put("streak", 0);
    this.ctx.storage.kv.put("recent", []);
    this.ctx.storage.kv.delete("pause");
    await this.mirror(organisationId, webhookId, 0);
  }

  /**
   * The webhook was deleted: nothing of it stays behind. Its partitions are dropped by the alarm
   * (then the head deletes itself); with none, the head is deleted now.
   */
  async forget(): Promise<void> {
    if (await beginForget(this.ctx.storage, Date.now())) return this.schedule();
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  streak(): number {
    return this.ctx.storage.kv.get<number>("streak") ?? 0;
  }

  /** A DeliveryLog's first write registers its day here, before it inserts anything. */
  async addPartition(organisationId: number, webhookId: string, day: number): Promise<void> {
    const kv = this.ctx.storage.kv;
    if (forgetting(kv)) {
      forgetAlso(kv, day, Date.now());
      return this.schedule();
    }
    claim(kv, organisationId, webhookId);
    if (addPartition(kv, day)) await this.schedule();
  }

  /** The live partitions' days, ascending. */
  partitions(): number[] {
    return livePartitions(this.ctx.storage.kv);
  }

  /** The totals of the partitions retention dropped: the webhook's statistics are these plus its live partitions'. */
  archived(): Totals {
    return archivedTotals(this.ctx.storage.kv);
  }

  /** A partition (of `day`) recorded attempts: the D1 summary is refreshed within SUMMARY_REFRESH_MS, reading that partition again. */
  async noteActivity(organisationId: number, webhookId: string, day?: number): Promise<void> {
    const kv = this.ctx.storage.kv;
    if (forgetting(kv)) return;
    claim(kv, organisationId, webhookId);
    markDirty(this.reads, day);
    if (armRefresh(kv, this.env, Date.now())) await this.schedule();
  }

  /**
   * Runs the notices that are due, then the upkeep that is due (forgetting, retention, refresh).
   * An alarm run before anything is due (by hand) runs every open notice, which only retries it
   * sooner; a due alarm does not, so a busy webhook's refreshes do not cut a notice's backoff short.
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const due = this.notices().filter((n) => n.due <= now);
    const early = due.length === 0 && this.upkeepDue(now) > now;
    await this.serially(async () => {
      for (const n of early ? this.notices() : due) await this.advance(n.id, { email: true });
    });
    try {
      const run = () => this.upkeep(Date.now());
      const next = this.upkeeping.then(run, run);
      this.upkeeping = next.catch(() => undefined);
      await next;
    } finally {
      await this.schedule();
    }
  }

  private upkeepDue(now: number) {
    const kv = this.ctx.storage.kv;
    return Math.min(forgetDue(kv), retentionDue(kv, this.env, now), refreshDue(kv));
  }

  private async upkeep(now: number) {
    const { storage } = this.ctx;
    if (forgetting(storage.kv)) {
      if (forgetDue(storage.kv) <= now) await runForget(this.env, storage, now);
      return;
    }
    if (retentionDue(storage.kv, this.env, now) <= now) await runRetention(this.env, storage, now);
    if (refreshDue(storage.kv) <= now) await refreshSummary(this.env, storage, now, () => this.streak(), this.reads);
  }

  /** Opens this run's notice: the notice, the run's mark and the alarm in one storage write. */
  private async open(organisationId: number, webhookId: string, streak: number, reason?: string) {
    const n: Notice = {
      id: newId("ntf"), organisationId, webhookId, streak, reason, step: "pause",
      failures: 0, tries: 0, sending: false, sent: false, due: Date.now() + NOTICE_RETRY_DELAYS_MS[0]!,
    };
    this.ctx.storage.kv.put("pause", n.id);
    this.save([...this.notices(), n]);
    await this.schedule();
  }

  /** Writes an owed pause now; true when this call wrote it. */
  private async pauseNow(id: string): Promise<boolean> {
    this.pausing = true;
    try {
      return await this.serially(() => this.advance(id, { email: false }));
    } finally {
      this.pausing = false;
      await this.schedule();
    }
  }

  /** One run of a notice: its pause if still owed, then (in the alarm) its email. True when this run wrote the pause. */
  private async advance(id: string, { email }: { email: boolean }): Promise<boolean> {
    let n = this.notice(id);
    let paused = false;
    try {
      if (n?.step === "pause") {
        noticeFault("pause-write");
        paused = await writePause(this.env, n.id, n.organisationId, n.webhookId, n.streak, n.reason);
        // Not ours: the webhook was no longer active (paused by hand, deleted), so no email either.
        n = paused ? this.update(id, { step: "email", failures: 0, due: Date.now() }) : this.drop(id);
      }
      if (n?.step === "email" && email && (await sendNoticeEmail(this.env, n, (changes) => this.update(id, changes)))) this.drop(id);
    } catch (err) {
      this.failed(id, err);
    }
    return paused;
  }

  /** A step that threw: retried later, or given up once its tries are used (logged; the email's outcome is recorded by pause-notice.ts). */
  private failed(id: string, err: unknown) {
    const n = this.notice(id);
    if (!n) return;
    const failures = n.failures + 1;
    const error = String(err).slice(0, 500);
    if (failures > NOTICE_RETRY_DELAYS_MS.length) {
      log("error", "pause notice given up", { notificationId: n.id, webhookId: n.webhookId, step: n.step, failures, error });
      this.drop(id);
      return;
    }
    log("warn", `pause notice: ${n.step} failed; retried later`, { notificationId: n.id, webhookId: n.webhookId, failures, error });
    this.update(id, { failures, due: Date.now() + NOTICE_RETRY_DELAYS_MS[failures - 1]! });
  }

  private serially<T>(run: () => Promise<T>): Promise<T> {
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private notices(): Notice[] {
    return this.ctx.storage.kv.get<Notice[]>("notices") ?? [];
  }

  private save(notices: Notice[]) {
    this.ctx.storage.kv.put("notices", notices);
  }

  private notice(id: string): Notice | undefined {
    return this.notices().find((n) => n.id === id);
  }

  /** Changes a stored notice (synchronous storage: durable before any message leaves the object); one dropped meanwhile (forget) stays dropped. */
  private update(id: string, changes: Partial<Notice>): Notice {
    const current = this.notice(id);
    if (!current) throw new Error(`pause notice ${id} is gone`);
    const next = { ...current, ...changes };
    this.save(this.notices().map((n) => (n.id === id ? next : n)));
    return next;
  }

  private drop(id: string): undefined {
    this.save(this.notices().filter((n) => n.id !== id));
    return undefined;
  }

  /** The alarm at the earliest due notice or upkeep, or none. */
  private async schedule() {
    const due = Math.min(...this.notices().map((n) => n.due), this.upkeepDue(Date.now()));
    if (Number.isFinite(due)) await this.ctx.storage.setAlarm(due);
    else await this.ctx.storage.deleteAlarm();
  }

  private async mirror(organisationId: number, webhookId: string, streak: number) {
    await this.env.DB.prepare("UPDATE webhooks SET failure_streak = ? WHERE organisation_id = ? AND id = ?")
      .bind(streak, organisationId, webhookId)
      .run();
  }
}

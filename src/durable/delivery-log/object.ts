/**
 * One webhook's deliveries for one UTC day (the day of their creation), named
 * `${organisationId}:${webhookId}:${day}` (src/storage/stubs.ts deliveryLog). It holds the
 * deliveries, their attempts (the logs), the day's totals and minute rollups, and its own sweep
 * (alarm). Rows written are the bill: migrations/0000_init.ts says which rows each path writes,
 * and meter() counts them (meter.ts).
 *
 * SQLite through Drizzle's Durable Object driver (drizzle-orm/durable-sqlite): the schema
 * (schema.ts), the migrator with a hand-written bundle (migrations/), and the once-per-call
 * statements (totals, rollups, meta, single-delivery reads). The hot multi-row statements
 * (accept's inserts, record's moves, the page, the sweep, recoveries) are raw SQL on the same
 * metered client: they name partial indexes (INDEXED BY, row values), which Drizzle cannot.
 *
 * Every call takes the scope first; the object keeps it (meta) on its first write, after the
 * head has registered the day, and refuses a call whose scope is another partition's.
 */
import { DurableObject } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/durable-sqlite";
import type { Env } from "../../env";
import type {
  AttemptDetailRow, AttemptRecord, AttemptWrite, DeliveryState, LogFilter, LogScope, Meter, MinuteRollup, NewDelivery, Position, RecoverableQuery, Requeue, Totals,
} from "../../storage/contract";
import { healthStub } from "../health-client";
import { checkCall, checkNew, insertCall, insertDeliveries, type CalledDelivery } from "./accept";
import type { Log } from "./context";
import { emptyTotals, readRollups, readTotals } from "./counting";
import { SqlMeter } from "./meter";
import { sameScope, storedScope, storeScope } from "./meta";
import { ActivityNote } from "./notify";
import { readPage } from "./page";
import { deliveryDetail, lastAttemptOf, loadDeliveries } from "./read";
import { checkWrites, recordAttempts } from "./record";
import { countRecoverable, recoverablePage } from "./recoverable";
import { replaySkipped, resendDeliveries, type ResendOptions } from "./requeue";
import { schema } from "./schema";
import { applySchema, hasSchema } from "./setup";
import { anyPending, staleAfter, sweepPartition, type SweepReport } from "./sweep";

export class DeliveryLog extends DurableObject<Env> {
  private readonly meterSql: SqlMeter;
  private readonly log: Log;
  /** The tables exist (setup.ts: created on the first write). */
  private ready = false;
  /** The stored scope: set once the head has registered this day. */
  private owner: LogScope | null = null;
  /** An alarm is known to be set (or a run is under way that will set the next). */
  private alarmKnown = false;
  private note: ActivityNote | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.meterSql = new SqlMeter(ctx.storage);
    this.log = { sql: this.meterSql, db: drizzle(this.meterSql.forDrizzle(), { schema }), storage: ctx.storage };
    void ctx.blockConcurrencyWhile(async () => {
      if (!hasSchema(this.log)) return;
      await applySchema(this.log);
      this.ready = true;
      this.owner = storedScope(this.log);
    });
  }

  /**
   * Deliveries written before their first attempt: skipped ones from ingest, and pending ones
   * whose first message may be lost (`dueAt`: accept.ts). Answers the ids newly inserted as
   * pending (to enqueue).
   */
  async accept(scope: LogScope, deliveries: NewDelivery[], dueAt?: number): Promise<string[]> {
    checkNew(scope, deliveries);
    await this.claim(scope);
    const fresh = insertDeliveries(this.log, deliveries, dueAt);
    if (fresh.length > 0) await this.ensureSweep();
    return fresh;
  }

  /** A test send or a check: an ended delivery and its one attempt. */
  async logCall(scope: LogScope, delivery: CalledDelivery, attempt: AttemptWrite): Promise<void> {
    checkCall(delivery, attempt);
    await this.claim(scope);
    if (insertCall(this.log, delivery, attempt)) this.noteActivity(scope);
  }

  load(scope: LogScope, ids: string[]): DeliveryState[] {
    return this.reading(scope) ? loadDeliveries(this.log, scope, ids) : [];
  }

  /**
   * Answers the deliveries whose move won (an attempt already logged with its id counts as won).
   * `fresh`: the deliveries of first attempts, inserted with their attempt if not stored yet.
   */
  async record(scope: LogScope, attempts: AttemptWrite[], fresh: NewDelivery[] = []): Promise<string[]> {
    checkWrites(attempts);
    checkNew(scope, fresh);
    if (fresh.length > 0) await this.claim(scope);
    // Nothing stored and nothing to create: no delivery to move, and no tables to create for it.
    if (!this.reading(scope)) return [];
    const { won, counted } = recordAttempts(this.log, attempts, Date.now(), new Map(fresh.map((d) => [d.id, d])));
    if (counted) this.noteActivity(scope);
    // A retry waits in deliveries_due: the sweep sends it if its message is lost.
    if (attempts.some((a) => a.status === "retrying")) await this.ensureSweep();
    return won;
  }

  lastAttempt(scope: LogScope, deliveryId: string): { attempt: number; error_code: string | null; response_code: number | null } | null {
    return this.reading(scope) ? lastAttemptOf(this.log, deliveryId) : null;
  }

  page(scope: LogScope, filter: LogFilter, after: Position | null, limit: number): AttemptRecord[] {
    return this.reading(scope) ? readPage(this.log, filter, after, limit) : [];
  }

  detail(scope: LogScope, deliveryId: string): { delivery: DeliveryState; attempts: AttemptDetailRow[] } | null {
    return this.reading(scope) ? deliveryDetail(this.log, scope, deliveryId) : null;
  }

  async resend(scope: LogScope, ids: string[], revisionId: string, opts: ResendOptions): Promise<{ resent: Requeue[]; alreadyByJob: number }> {
    if (!this.reading(scope)) return { resent: [], alreadyByJob: 0 };
    const answer = resendDeliveries(this.log, ids, revisionId, opts);
    if (answer.resent.length > 0) await this.ensureSweep();
    return answer;
  }

  async replaySkipped(scope: LogScope, limit: number, now: number): Promise<Requeue[]> {
    if (!this.reading(scope)) return [];
    const replayed = replaySkipped(this.log, limit, now);
    if (replayed.length > 0) await this.ensureSweep();
    return replayed;
  }

  recoverable(scope: LogScope, q: RecoverableQuery): { id: string; created_at: number }[] {
    return this.reading(scope) ? recoverablePage(this.log, q) : [];
  }

  countRecoverable(scope: LogScope, q: { since: number; until: number; endedBefore: number }): number {
    return this.reading(scope) ? countRecoverable(this.log, q) : 0;
  }

  totals(scope: LogScope): Totals {
    return this.reading(scope) ? readTotals(this.log) : emptyTotals();
  }

  /** The minutes in [fromMinute, toMinute], both included, that have counted attempts. */
  rollups(scope: LogScope, fromMinute: number, toMinute: number): MinuteRollup[] {
    return this.reading(scope) ? readRollups(this.log, fromMinute, toMinute) : [];
  }

  /** Deletes the partition; refuses (false) while a delivery is pending, unless forced (the webhook was deleted). */
  async drop(force = false): Promise<boolean> {
    if (this.ready && !force && anyPending(this.log)) return false;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    // Empty again: a later write starts over (schema, registration).
    this.ready = false;
    this.owner = null;
    this.alarmKnown = false;
    return true;
  }

  /** The SQL rows this object has written and read since it started. */
  meter(): Meter {
    return this.meterSql.reading();
  }

  override async alarm(): Promise<void> {
    await this.sweep(Date.now());
  }

  /** The alarm's work, callable from tests (runInDurableObject) with a chosen time. */
  async sweep(now: number): Promise<SweepReport | null> {
    if (!this.ready || !this.owner) return null;
    // A write meanwhile sees an alarm as set: this run arms the next after its last await.
    this.alarmKnown = true;
    const report = await sweepPartition(this.log, this.env, this.owner, now);
    this.alarmKnown = report.next !== null;
    // None while nothing is pending: a quiet partition is not woken again (a run called by hand clears the one set).
    if (report.next !== null) await this.ctx.storage.setAlarm(report.next);
    else await this.ctx.storage.deleteAlarm();
    return report;
  }

  /** For reads and for record: whether anything is stored, refusing another partition's scope. */
  private reading(scope: LogScope): boolean {
    if (this.owner && !sameScope(this.owner, scope)) throw new Error(`this partition is ${JSON.stringify(this.owner)}, not ${JSON.stringify(scope)}`);
    return this.ready && this.owner !== null;
  }

  /**
   * Before the first write: the head registers the day (so its retention drops this partition
   * in time), then the schema and the scope. A failed registration writes nothing here, and the
   * caller's retry registers again (addPartition is idempotent).
   */
  private async claim(scope: LogScope) {
    if (this.owner) {
      this.reading(scope);
      return;
    }
    await healthStub(this.env, scope.organisationId, scope.webhookId).addPartition(scope.organisationId, scope.webhookId, scope.day);
    if (!this.ready) {
      await applySchema(this.log);
      this.ready = true;
    }
    storeScope(this.log, scope);
    this.owner = storedScope(this.log);
    this.reading(scope);
  }

  private async ensureSweep() {
    if (this.alarmKnown) return;
    this.alarmKnown = true;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + staleAfter(this.env));
  }

  private noteActivity(scope: LogScope) {
    this.note ??= new ActivityNote(() => healthStub(this.env, scope.organisationId, scope.webhookId).noteActivity(scope.organisationId, scope.webhookId, scope.day));
    this.note.poke();
  }
}

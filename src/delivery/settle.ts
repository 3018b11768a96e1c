/**
 * What follows the sends, in waves: results are settled as they come, a wave at most WAVE_MS
 * after its first result, so that a batch's fast deliveries are logged, retried and acknowledged
 * while a slow endpoint's sends are still out. Each wave, in order:
 *
 *   record (one call per partition) → lane changes → retries and moves enqueued → after-effects → ack
 *
 * A crash anywhere before a message's ack redelivers it: the attempt may be sent again (same
 * X-Delivery-ID, same bytes) but is logged and counted once (record.ts).
 */
import type { Env } from "../env";
import type { ConnectionBudget } from "./connection-gate";
import { afterFailure, afterSuccess } from "./effects";
import { enqueueDeliveries, type Enqueued } from "./enqueue";
import { dayOfDelivery } from "../storage/partitions";
import { fault } from "./faults";
import type { DeliveryRow } from "./load";
import { bodyToCarry } from "./messages";
import { FAST_ANSWER_MS, MIN_SLOW_MS, writeLaneChanges, type Lane, type LaneChange } from "./lanes";
import { ack, type Planned } from "./plan";
import { recordAttempts, type AttemptResult } from "./record";
import { decide, readSchedule, type Outcome } from "./retry-policy";

/** Long enough that a batch of fast sends settles in one wave, short enough not to hold them up. */
export const WAVE_MS = 1_000;

/** What became of one planned message. */
export type Settled =
  | { kind: "attempt"; planned: Planned; outcome: Outcome; startedAt: number }
  | { kind: "skip"; planned: Planned; startedAt: number }
  /** Not an attempt: no answer within the main lane's patience, or a slow webhook's message. */
  | { kind: "move"; planned: Planned; unanswered: boolean }
  /** Not an attempt: it never got a connection before the send window closed. */
  | { kind: "hand-back"; planned: Planned };

export class Settler {
  private pending: Settled[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private chain: Promise<void> = Promise.resolve();
  private error: unknown = null;
  /** Counted for the batch's log line. */
  attempts = 0;
  movedUnanswered = 0;
  /** Durable Object calls made (partitions recorded, heads told): requests on the bill. */
  objectCalls = 0;

  constructor(
    private readonly env: Env,
    private readonly lane: Lane,
    /** The invocation's connections, shared with its sends: each queue send takes one. */
    private readonly budget: ConnectionBudget,
  ) {}

  add(s: Settled): void {
    if (s.kind === "move" && s.unanswered) this.movedUnanswered++;
    this.pending.push(s);
    this.timer ??= setTimeout(() => this.flush(), WAVE_MS);
  }

  /** Settles what is left; throws what any wave threw, so the queue redelivers what is unacked. */
  async finish(): Promise<void> {
    this.flush();
    await this.chain;
    if (this.error !== null) throw this.error;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const wave = this.pending.splice(0);
    if (wave.length === 0) return;
    this.chain = this.chain.then(() => this.settle(wave)).catch((err) => void (this.error ??= err));
  }

  private async settle(wave: Settled[]): Promise<void> {
    const { env } = this;
    fault("after-send");
    const results: AttemptResult[] = [];
    for (const s of wave) {
      if (s.kind === "skip") results.push({ row: s.planned.row, attempt: s.planned.attempt, status: "skipped", outcome: null, startedAt: s.startedAt, nextAttemptAt: null });
      if (s.kind !== "attempt") continue;
      const decision = decide(s.outcome, s.planned.attempt, s.planned.row.last_attempt, readSchedule(s.planned.row.retry_schedule));
      const nextAttemptAt = decision.status === "retrying" ? Date.now() + decision.delayMs : null;
      results.push({ row: s.planned.row, attempt: s.planned.attempt, status: decision.status, outcome: s.outcome, startedAt: s.startedAt, nextAttemptAt });
    }
    this.attempts += results.length;
    this.objectCalls += new Set(results.map((r) => `${r.row.webhook_id}:${dayOfDelivery(r.row.id)}`)).size;
    const won = await recordAttempts(env, results);
    fault("after-record");
    const mine = results.filter((_, i) => won[i]);

    const changes = laneChanges(wave, this.lane);
    await writeLaneChanges(env, [...changes.values()]);
    const slowNow = (r: AttemptResult) => changes.get(r.row.webhook_id)?.slow ?? r.row.slow_since !== null;

    // Grouped by lane: one sendBatch each. A retry carries its own delay (jittered ones all
    // differ); moves and hand-backs ask for the same attempt again, with no delay.
    const sends = new Map<Lane, { items: Enqueued[]; held: Set<unknown> }>();
    const add = (lane: Lane, item: Enqueued, held?: Planned) => {
      if (!sends.has(lane)) sends.set(lane, { items: [], held: new Set() });
      sends.get(lane)!.items.push(item);
      if (held) sends.get(lane)!.held.add(held.msg);
    };
    for (const r of mine) {
      if (r.status !== "retrying") continue;
      add(slowNow(r) ? "slow" : "main", { ...messageOf(r.row, r.attempt + 1), delayMs: r.nextAttemptAt! - Date.now() });
    }
    for (const s of wave) {
      const item = messageOf(s.planned.row, s.planned.attempt);
      if (s.kind === "move") add("slow", item, s.planned);
      if (s.kind === "hand-back") add(this.lane, item, s.planned);
    }
    // One at a time, each on a connection of the budget's (the next one free, ahead of new sends).
    // A retry that could not be enqueued is still due in its partition, whose sweep finds it; a move
    // or hand-back changed nothing there, so its own message must come back instead.
    const unqueued = new Set<unknown>();
    for (const [lane, { items, held }] of sends) {
      if (!(await this.budget.use(() => enqueueDeliveries(env, items, 0, lane)))) for (const m of held) unqueued.add(m);
    }

    const effects: Promise<void>[] = [];
    const failedWebhooks = new Set(mine.filter((r) => r.status === "failed").map((r) => r.row.webhook_id));
    // One reset per webhook per wave is enough, however many of its deliveries succeeded.
    const reset = new Set<string>();
    for (const r of mine) {
      if (r.status === "failed") {
        this.objectCalls++;
        // Its announcement is an ingest, whose queue send takes a connection.
        effects.push(this.budget.use(() => afterFailure(env, { row: r.row, attempts: r.attempt, errorCode: r.outcome?.errorCode ?? null, responseCode: r.outcome?.statusCode ?? null })));
      } else if (r.status === "success" && !reset.has(r.row.webhook_id) && ((r.row.failure_streak ?? 0) > 0 || failedWebhooks.has(r.row.webhook_id))) {
        reset.add(r.row.webhook_id);
        this.objectCalls++;
        effects.push(afterSuccess(env, r.row));
      }
    }
    await Promise.all(effects);
    fault("before-ack");
    for (const s of wave) {
      if (unqueued.has(s.planned.msg)) s.planned.msg.retry({ delaySeconds: 1 });
      else ack(s.planned.msg);
    }
  }
}

/**
 * The message that asks for this attempt of the delivery. A first attempt moved or handed back
 * before anything was logged names its revision and event type: its delivery is not stored yet.
 */
const messageOf = (row: DeliveryRow, attempt: number): Enqueued => ({
  delivery_id: row.id,
  attempt,
  organisation_id: row.organisation_id,
  webhook_id: row.webhook_id,
  event_id: row.event_id,
  ...(row.stored ? {} : { revision_id: row.revision_id, event: row.event }),
  ...bodyToCarry(row.body),
});

/** Per webhook: into the slow lane on a timeout or no answer in time; out of it on a fast answer. */
function laneChanges(wave: Settled[], lane: Lane): Map<string, LaneChange> {
  const changes = new Map<string, LaneChange>();
  const now = Date.now();
  for (const s of wave) {
    const { row } = s.planned;
    const change = { organisationId: row.organisation_id, webhookId: row.webhook_id };
    const hung = (s.kind === "move" && s.unanswered) || (s.kind === "attempt" && s.outcome.errorCode === "timeout" && s.outcome.statusCode === null);
    if (hung && row.slow_since === null) changes.set(row.webhook_id, { ...change, slow: true });
    const fast = s.kind === "attempt" && s.outcome.statusCode !== null && (s.outcome.responseTimeMs ?? Infinity) < FAST_ANSWER_MS;
    if (lane === "slow" && fast && row.slow_since !== null && now - row.slow_since >= MIN_SLOW_MS && !changes.has(row.webhook_id)) {
      changes.set(row.webhook_id, { ...change, slow: false });
    }
  }
  return changes;
}

/**
 * The delivery pipeline, one queue batch at a time, in the order data flows:
 *
 *   load (one read) → plan → per message, through the connection gate: sign → send
 *   → settle in waves (record, lane changes, retries, after-effects, ack; settle.ts)
 *
 * Both lanes run it (lanes.ts): the main lane with a patience after which a send with no answer
 * moves to the slow lane, the slow lane with the full timeout.
 */
import type { Env } from "../env";
import { Timing } from "../lib/server-timing";
import { dayOfDelivery, shardOf } from "../storage/partitions";
import { attemptDelivery, RevisionCache } from "./attempt";
import { ConnectionBudget, runThroughGate } from "./connection-gate";
import { afterFailure, afterSuccess, lastAttempt } from "./effects";
import { fault } from "./faults";
import { laneSettings, type Lane } from "./lanes";
import { loadDeliveries } from "./load";
import type { DeliveryMessage } from "./messages";
import { isTransient, redeliveryDelaySeconds } from "../lib/transient";
import { ack, isAcked, planBatch, type Planned } from "./plan";
import { queueMessagesOf } from "./packs";
import { isUnanswered } from "./send";
import { Settler, type Settled } from "./settle";
import { Signer } from "./sign";

/**
 * The queue's entry point. A batch that fails part way (a crash, storage trouble that outlasted
 * the retries in place) is handed back, its unacknowledged messages only, after a delay that
 * grows with each redelivery. Answers whether the batch went through.
 */
export async function consumeDeliveryBatch(batch: readonly Message<DeliveryMessage>[], env: Env, lane: Lane): Promise<boolean> {
  try {
    await consumeDeliveries(batch, env, lane);
    return true;
  } catch (err) {
    const base = env.REDELIVERY_BASE_DELAY_S === undefined ? undefined : Number(env.REDELIVERY_BASE_DELAY_S);
    console.error(JSON.stringify({ level: "error", msg: "delivery batch failed; handed back", lane, transient: isTransient(err), error: String(err).slice(0, 500) }));
    for (const m of batch) if (!isAcked(m)) m.retry({ delaySeconds: redeliveryDelaySeconds(m.attempts, base) });
    return false;
  }
}

export async function consumeDeliveries(batch: readonly Message<DeliveryMessage>[], env: Env, lane: Lane = "main"): Promise<void> {
  const clock = new Timing();
  const rows = await clock.measure("load", () => loadDeliveries(env, batch.filter((m) => locatable(m.body)).map((m) => m.body)));
  const plan = planBatch(batch, rows, lane);
  for (const msg of plan.done) ack(msg);

  // The invocation's six connections: its sends, and the queue sends its settling makes meanwhile.
  const budget = new ConnectionBudget();
  const settler = new Settler(env, lane, budget);
  const now = Date.now();
  for (const planned of plan.skips) settler.add({ kind: "skip", planned, startedAt: now });
  for (const planned of plan.moves) settler.add({ kind: "move", planned, unanswered: false });

  const { patienceMs, windowMs } = laneSettings(env, lane);
  const signer = new Signer();
  const revisions = new RevisionCache(env.SECRET_ENCRYPTION_KEY);
  const items = plan.sends.map((planned) => ({
    webhookId: planned.row.webhook_id,
    planned,
    run: async (): Promise<Settled> => {
      const startedAt = Date.now();
      fault("before-send");
      const outcome = await attemptDelivery(env, signer, revisions, planned.row, patienceMs, startedAt);
      return isUnanswered(outcome) ? { kind: "move", planned, unanswered: true } : { kind: "attempt", planned, outcome, startedAt };
    },
  }));
  const unstarted = await clock.measure("send", () => runThroughGate<Settled, (typeof items)[number]>(items, { windowMs, budget }, (_, settled) => settler.add(settled)));
  for (const { planned } of unstarted) settler.add({ kind: "hand-back", planned });

  await clock.measure("settle", () => Promise.all([settler.finish(), redoEffects(env, plan.stale, budget)]));
  // One line per batch: where its time went (what `npm run bench` reads to profile, and what
  // Workers Logs can be queried by in production).
  console.log(JSON.stringify({
    level: "info",
    msg: "delivery batch",
    lane,
    messages: batch.length,
    // Packs hold several deliveries (packs.ts): the queue's bill counts these.
    queue_messages: queueMessagesOf(batch),
    attempts: settler.attempts,
    // Partitions and shards read, partitions written, heads told: the batch's Durable Object requests.
    object_calls: objectsRead(batch) + settler.objectCalls,
    moved: plan.moves.length + settler.movedUnanswered,
    handed_back: unstarted.length,
    timing: clock.header(),
  }));
}

/**
 * A message from before deliveries moved out of D1 (issue 15) names no webhook or event, so its
 * partition cannot be found: planned as done (docs/operations.md says to drain the queues
 * before deploying that change).
 */
const locatable = (m: DeliveryMessage) => typeof m.organisation_id === "number" && typeof m.webhook_id === "string" && typeof m.event_id === "string";

/** The partitions and shards one load reads from (load.ts): one call each. */
function objectsRead(batch: readonly Message<DeliveryMessage>[]): number {
  const located = batch.map((m) => m.body).filter(locatable);
  const fromShards = located.filter((m) => m.body === undefined);
  return new Set(located.map((m) => `${m.webhook_id}:${dayOfDelivery(m.delivery_id)}`)).size + new Set(fromShards.map((m) => `${m.organisation_id}:${shardOf(m.event_id)}`)).size;
}

/** A redelivered message whose attempt was already recorded as the last: redo its after-effects. */
async function redoEffects(env: Env, stale: Planned[], budget: ConnectionBudget): Promise<void> {
  await Promise.all(
    stale.map(async ({ msg, row }) => {
      if (row.status === "failed") {
        const a = await lastAttempt(env, row);
        await budget.use(() => afterFailure(env, { row, attempts: row.attempts, errorCode: a?.error_code ?? null, responseCode: a?.response_code ?? null }));
      } else if ((row.failure_streak ?? 0) > 0) {
        await afterSuccess(env, row);
      }
      ack(msg);
    }),
  );
}

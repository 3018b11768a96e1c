/**
 * Two delivery lanes, each its own queue and consumer, so that an endpoint that hangs cannot
 * hold up anyone else's deliveries. Every webhook starts in the main lane. A send there that
 * times out, or has no answer within the main lane's patience, marks its webhook slow
 * (`webhooks.slow_since`); from then on its deliveries and retries go to the slow lane, where
 * sends get the full timeout and share invocations only with other slow endpoints. An answer
 * there within FAST_ANSWER_MS brings the webhook back.
 */
import type { Env } from "../env";
import { retryTransient } from "../lib/transient";
import type { QueueMessage } from "./messages";

export type Lane = "main" | "slow";

export const laneOfQueue = (queueName: string): Lane => (queueName.endsWith("-slow") ? "slow" : "main");
export const queueOfLane = (env: Env, lane: Lane): Queue<QueueMessage> => (lane === "slow" ? env.SLOW_DELIVERY_QUEUE : env.DELIVERY_QUEUE);

/**
 * Main lane: a send with no answer after 5 s is cancelled (not logged, not counted) and moved to
 * the slow lane. "A few seconds" is the most a healthy webhook's delivery should wait behind
 * another's; well-behaved endpoints answer in under one (product document: "respond < 1 second").
 */
export const MAIN_PATIENCE_MS = 5_000;
/** No new send starts after this in one invocation; the rest go back to the queue unsent. */
export const MAIN_WINDOW_MS = 10_000;
/** The slow lane waits the full timeout (30 s), so it keeps starting sends for as long. */
export const SLOW_WINDOW_MS = 30_000;
/** An answer this fast in the slow lane means the endpoint recovered. */
export const FAST_ANSWER_MS = 1_000;
/** ...but a webhook stays slow at least this long, so an endpoint that flaps does not bounce. */
export const MIN_SLOW_MS = 60_000;

export interface LaneSettings {
  /** Cancel a send with no answer after this (null: wait the whole timeout). */
  patienceMs: number | null;
  windowMs: number;
}

export function laneSettings(env: Env, lane: Lane): LaneSettings {
  const window = Number(env.DELIVERY_SEND_WINDOW_MS) || (lane === "slow" ? SLOW_WINDOW_MS : MAIN_WINDOW_MS);
  if (lane === "slow") return { patienceMs: null, windowMs: window };
  return { patienceMs: Number(env.DELIVERY_PATIENCE_MS) || MAIN_PATIENCE_MS, windowMs: window };
}

export interface LaneChange {
  organisationId: number;
  webhookId: string;
  slow: boolean;
}

/** Marks and unmarks webhooks: rare (a change of lane), so one statement each is fine. */
export async function writeLaneChanges(env: Env, changes: LaneChange[]): Promise<void> {
  if (changes.length === 0) return;
  const now = Date.now();
  // Idempotent (each change is conditional on the state it changes), so safe to try again.
  await retryTransient(() => env.DB.batch(
    changes.map((c) =>
      c.slow
        ? env.DB.prepare("UPDATE webhooks SET slow_since = ? WHERE organisation_id = ? AND id = ? AND slow_since IS NULL").bind(now, c.organisationId, c.webhookId)
        : env.DB.prepare("UPDATE webhooks SET slow_since = NULL WHERE organisation_id = ? AND id = ? AND slow_since <= ?").bind(c.organisationId, c.webhookId, now - MIN_SLOW_MS),
    ),
  ));
}

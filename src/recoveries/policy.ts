/**
 * The numbers of the recovery job (POST /v1/webhooks/{id}/recover), each with where it comes from.
 */
import type { Env } from "../env";

/**
 * Deliveries a step re-sends: the claim, the head's partition list, the page (one call per
 * partition it reads, at most 32 for a month's window), six resend chunks of 90 each with its
 * checkpoint, five queue sends of 100 and the end of the step come to at most about 60 calls,
 * far inside one invocation's 1,000; and 500 messages at the enqueue pacing (2,500/s) take 0.2 s.
 * Small steps also let exports, which share the jobs queue, take their turns.
 */
export const RECOVERY_STEP = 500;

/** A step's size here; RECOVERY_STEP_DELIVERIES makes it smaller (tests, so one recovery spans several steps). */
export function recoveryStep(env: Pick<Env, "RECOVERY_STEP_DELIVERIES">): number {
  const n = Number(env.RECOVERY_STEP_DELIVERIES);
  return Number.isSafeInteger(n) && n > 0 ? Math.min(n, RECOVERY_STEP) : RECOVERY_STEP;
}

/**
 * The widest window: deliveries are kept LOG_RETENTION_DAYS (30 by default) after they end, so
 * a wider one finds nothing more, and one month bounds what a single recovery can put back on
 * the queue.
 */
export const RECOVERY_MAX_WINDOW_MS = 31 * 86_400_000;

/** How long a claim keeps other invocations off a recovery: a step takes a second or two. */
export const RECOVERY_LEASE_MS = 60_000;

/** Claims in a row that ended in a crash before the recovery is marked failed (as an export's tries). */
export const RECOVERY_MAX_TRIES = 3;

/**
 * A recovery unfinished and quiet this long lost its queue message (or its step died without a
 * word): the maintenance sweep enqueues it again. A step writes at least every few seconds; a
 * message can wait behind a few exports' turns (20 s each) on the jobs queue. A duplicate the
 * sweep makes is turned away by the lease.
 */
export const RECOVERY_STALE_MS = 3 * 60_000;

export const RECOVERY_GAVE_UP = "The recovery stopped after repeated errors; deliveries it re-sent stay re-sent. Recover the window again to send the rest";

/**
 * One step of a recovery: claim it, read the next page of deliveries to re-send (at most one
 * step's worth), re-send them through the one resend path (src/delivery/resend.ts), and end the
 * step: done when the page was the last, otherwise the next step goes in a new message.
 *
 * Once each, through crashes (src/db/recovery-job.ts says how): each chunk of re-sent deliveries
 * commits with the cursor and `sent`; a step that dies after a chunk leaves those deliveries
 * pending and due, for the delivery sweeper to enqueue if their messages never went; and a page
 * read again never takes a delivery this recovery already moved.
 */
import { checkpointStatement, claimRecovery, endStep, recoverablePage, releaseLease, type RecoveryJob } from "../db/recovery-job";
import { failRecovery } from "../db/recoveries";
import { resendDeliveries } from "../delivery/resend";
import type { Env } from "../env";
import { RECOVERY_GAVE_UP, RECOVERY_LEASE_MS, RECOVERY_MAX_TRIES, recoveryStep } from "./policy";

export type RecoveryRun =
  | { outcome: "done" | "more"; read: number; resent: number }
  /** Another invocation holds the recovery until `leaseUntil`. */
  | { outcome: "busy"; leaseUntil: number }
  /** Nothing to do: done, failed or deleted (or failed by this step: its tries used up, its webhook no longer active). */
  | { outcome: "idle" };

/** Points where a test can make the step die, as an evicted isolate would. */
export interface StepHooks {
  /** Chunk `n` (from 1) is about to be re-sent with its checkpoint; the chunks before it are committed, not yet enqueued. */
  beforeChunk?: (n: number) => void;
  /** Every chunk is committed and enqueued; the step has not ended. */
  resent?: () => void | Promise<void>;
}

const IDLE = { outcome: "idle" } as const;

export const WEBHOOK_NOT_ACTIVE = "The webhook stopped being active while the recovery ran, so re-sent deliveries would only be skipped. Resume it and recover the window again: what was sent stays sent";

export async function runRecoveryStep(env: Env, recoveryId: string, hooks: StepHooks = {}, stepSize = recoveryStep(env)): Promise<RecoveryRun> {
  const job = await claimRecovery(env.DB, recoveryId, Date.now(), RECOVERY_LEASE_MS);
  if (!job) return IDLE;
  if ("busy" in job) return { outcome: "busy", leaseUntil: job.leaseUntil };
  if (job.tries > RECOVERY_MAX_TRIES) {
    // Earlier steps died without a word (their queue retries, or the sweep, brought it back).
    await failRecovery(env.DB, job.id, RECOVERY_GAVE_UP);
    return IDLE;
  }
  if (job.webhook_status !== "active") {
    await failRecovery(env.DB, job.id, WEBHOOK_NOT_ACTIVE);
    return IDLE;
  }
  try {
    return await step(env, job, hooks, stepSize);
  } catch (err) {
    await releaseLease(env.DB, job).catch(() => undefined);
    throw err;
  }
}

async function step(env: Env, job: RecoveryJob, hooks: StepHooks, stepSize: number): Promise<RecoveryRun> {
  const page = await recoverablePage(env.DB, job, stepSize);
  const byId = new Map(page.map((d) => [d.id, d]));
  let chunks = 0;
  const resent = await resendDeliveries(
    env,
    job.organisation_id,
    job.webhook_id,
    page.map((d) => d.id),
    {
      endedBefore: job.created_at,
      checkpoint: (chunk) => {
        hooks.beforeChunk?.(++chunks);
        return checkpointStatement(env.DB, job, byId.get(chunk[chunk.length - 1]!)!);
      },
    },
  );
  await hooks.resent?.();
  const done = page.length < stepSize;
  await endStep(env.DB, job, done);
  return { outcome: done ? "done" : "more", read: page.length, resent: resent.length };
}

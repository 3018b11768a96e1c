/**
 * One step of a recovery: claim it, read the next page of deliveries to re-send (at most one
 * step's worth), re-send them through the one resend path (src/delivery/resend.ts), and end the
 * step: done when the page was the last, otherwise the next step goes in a new message.
 *
 * Once each, through crashes (src/db/recovery-job.ts says how): each chunk (at most 90
 * deliveries of one partition) is re-sent in its partition, then checkpointed in D1 (cursor and
 * `sent`); a step that dies after a chunk leaves those deliveries pending and due, for their
 * partition's sweep to enqueue if their messages never went; and a page read again never sends a
 * delivery this recovery already moved, only counts it if its checkpoint was lost.
 */
import { checkpoint, claimRecovery, endStep, recoverablePage, releaseLease, type Cursor, type Recoverable, type RecoveryJob } from "../db/recovery-job";
import { failRecovery } from "../db/recoveries";
import { enqueueDeliveries, type Enqueued } from "../delivery/enqueue";
import { resendInPartition } from "../delivery/resend";
import type { Env } from "../env";
import { RECOVERY_GAVE_UP, RECOVERY_LEASE_MS, RECOVERY_MAX_TRIES, recoveryStep } from "./policy";

export type RecoveryRun =
  | { outcome: "done" | "more"; read: number; resent: number }
  /** Another invocation holds the recovery until `leaseUntil` (or took it over from this one, whose lease ran out). */
  | { outcome: "busy"; leaseUntil: number }
  /** Nothing to do: done, failed or deleted (or failed by this step: its tries used up, its webhook no longer active). */
  | { outcome: "idle" };

/** Points where a test can make the step die, as an evicted isolate would. */
export interface StepHooks {
  /** Chunk `n` (from 1) is about to be re-sent; the chunks before it are re-sent and checkpointed, not yet enqueued. */
  beforeChunk?: (n: number) => void;
  /** Chunk `n` is re-sent in its partition, its checkpoint not yet written. */
  beforeCheckpoint?: (n: number) => void;
  /** Every chunk is re-sent, checkpointed and enqueued; the step has not ended. */
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
  if (job.webhook_status !== "active" || job.revision_id === null) {
    await failRecovery(env.DB, job.id, WEBHOOK_NOT_ACTIVE);
    return IDLE;
  }
  try {
    return await step(env, job, job.revision_id, hooks, stepSize);
  } catch (err) {
    await releaseLease(env.DB, job).catch(() => undefined);
    throw err;
  }
}

/**
 * A chunk is one resend call and one checkpoint: at most 90 ids of one partition, so a step of
 * 500 is six of each (src/recoveries/policy.ts), and the progress a crash between a chunk and its
 * checkpoint leaves to be counted again by the next try is one chunk.
 */
const CHUNK = 90;

function chunksOf(page: Recoverable[]): Recoverable[][] {
  const out: Recoverable[][] = [];
  for (const d of page) {
    const last = out[out.length - 1];
    if (last && last.length < CHUNK && last[0]!.day === d.day) last.push(d);
    else out.push([d]);
  }
  return out;
}

async function step(env: Env, job: RecoveryJob, revisionId: string, hooks: StepHooks, stepSize: number): Promise<RecoveryRun> {
  const page = await recoverablePage(env, job, stepSize);
  const now = Date.now();
  const messages: Enqueued[] = [];
  let from: Cursor = { cursor_at: job.cursor_at, cursor_id: job.cursor_id };
  for (const [i, chunk] of chunksOf(page).entries()) {
    const n = i + 1;
    hooks.beforeChunk?.(n);
    const scope = { organisationId: job.organisation_id, webhookId: job.webhook_id, day: chunk[0]!.day };
    const ids = chunk.map((d) => d.id);
    const part = await resendInPartition(env, scope, ids, revisionId, { endedBefore: job.created_at, jobId: job.id }, now);
    messages.push(...part.messages);
    hooks.beforeCheckpoint?.(n);
    const last = chunk[chunk.length - 1]!;
    if (!(await checkpoint(env.DB, job, from, last, part.messages.length + part.alreadyByJob))) {
      // Another invocation took the recovery over (this one's lease ran out) and counted this
      // chunk, or it was failed meanwhile: what this one re-sent still goes, nothing else.
      await enqueueDeliveries(env, messages);
      return { outcome: "busy", leaseUntil: now + RECOVERY_LEASE_MS };
    }
    from = { cursor_at: last.created_at, cursor_id: last.id };
  }
  // What the queue does not take stays pending and due: its partition's sweep sends it.
  await enqueueDeliveries(env, messages);
  await hooks.resent?.();
  const done = page.length < stepSize;
  await endStep(env.DB, job, done);
  return { outcome: done ? "done" : "more", read: page.length, resent: messages.length };
}

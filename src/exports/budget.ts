/**
 * What one queue invocation may spend on an export. The edge stops an invocation that makes too
 * many calls or uses too much CPU, and `wrangler dev` enforces neither, so the export counts for
 * itself and pauses at a part boundary while it is still well inside both.
 */
import type { Env } from "../env";

/**
 * Cloudflare allows 1,000 subrequests per invocation on paid plans, and calls to bindings (a D1
 * query, a Durable Object call such as a partition's page, an R2 part, a queue send) count. 100
 * are left for the calls around the pages: the claim, the upload, the checkpoint, completing or
 * re-enqueueing.
 */
export const EXPORT_CALLS_PER_INVOCATION = 900;

/**
 * 30 s of CPU per invocation, the Workers default ([limits] cpu_ms in wrangler.toml). A Worker
 * cannot read its CPU clock, but CPU time never exceeds wall time, so an invocation that stops
 * starting parts after 20 s of wall time stays under 30 s of CPU, with room for its last part.
 */
export const EXPORT_CPU_MS_PER_INVOCATION = 20_000;

/** A queue consumer invocation may run for 15 minutes of wall time (Queues limits). */
export const EXPORT_WALL_MS_PER_INVOCATION = 14 * 60_000;

/**
 * How long a claim keeps other invocations off an export; each checkpoint renews it. A part
 * takes a few seconds, so a minute without a checkpoint means the invocation died.
 */
export const EXPORT_LEASE_MS = 60_000;

/**
 * The next part may cost more than the last one (longer rows, a slower database): a new part is
 * begun only while twice the last one's cost still fits.
 */
const PART_COST_MARGIN = 2;

/** The calls an invocation makes after its last part: complete and finish, or checkpoint and re-enqueue. */
const CLOSING_CALLS = 3;

export interface BudgetLimits {
  calls: number;
  ms: number;
}

/** The budget of this deployment; EXPORT_QUERIES_PER_INVOCATION makes it small (tests, a canary). */
export function exportBudget(env: Pick<Env, "EXPORT_QUERIES_PER_INVOCATION">): BudgetLimits {
  const calls = Number(env.EXPORT_QUERIES_PER_INVOCATION);
  return {
    calls: Number.isSafeInteger(calls) && calls > 0 ? Math.min(calls, EXPORT_CALLS_PER_INVOCATION) : EXPORT_CALLS_PER_INVOCATION,
    ms: Math.min(EXPORT_CPU_MS_PER_INVOCATION, EXPORT_WALL_MS_PER_INVOCATION),
  };
}

/** One invocation's spending, measured per part. */
export class InvocationBudget {
  private calls = 0;
  private readonly started = Date.now();
  private partStart = { calls: 0, at: this.started };
  private lastPart = { calls: 0, ms: 0 };

  constructor(private readonly limits: BudgetLimits) {}

  get used(): { calls: number; ms: number } {
    return { calls: this.calls, ms: Date.now() - this.started };
  }

  /** Counts calls to D1, Durable Objects, R2 or the queue. */
  spend(calls = 1): void {
    this.calls += calls;
  }

  /** Marks a part boundary: the part just finished is the measure of the next one. */
  partDone(): void {
    const now = Date.now();
    this.lastPart = { calls: this.calls - this.partStart.calls, ms: now - this.partStart.at };
    this.partStart = { calls: this.calls, at: now };
  }

  /** Whether another part, at twice the last one's cost, and the closing calls still fit. */
  affordsAnotherPart(): boolean {
    const { calls, ms } = this.used;
    return (
      calls + PART_COST_MARGIN * this.lastPart.calls + CLOSING_CALLS <= this.limits.calls &&
      ms + PART_COST_MARGIN * this.lastPart.ms <= this.limits.ms
    );
  }
}

/**
 * Group commit for D1: requests that arrive while a write is in flight share the next D1 batch
 * (one transaction, one round trip) instead of paying one each. A request still answers only
 * after its own statements committed, so nothing is acknowledged before it is durable.
 *
 * Nobody waits for company: an idle isolate writes each request at once (a group of one), and
 * groups only form under concurrency, from the requests that queued up behind the write in
 * flight. One write at a time: when none is in flight, the next waiting request to look takes
 * the queue's head (oldest first, up to `maxEntries` and `maxBytes`) into one batch and settles
 * every member. Every D1 call is made by a request that is itself waiting, and a request whose
 * client went away cannot hold the others up: it is written, just not answered.
 *
 * Two rules of the Workers runtime shape it. I/O objects, a prepared statement included, belong
 * to the request that made them, so statements travel as SQL text and values and the leader
 * prepares them. A promise resolved from another request's context is refused, and a request
 * that waits only on another's I/O is cancelled as hung, so a waiting request polls its entry
 * on its own short timer.
 *
 * A write that does not come back is answered by what can be known of it. A request still queued
 * after `stallMs` was never sent: it fails with `CommitNotSent` (nothing of it was written, so the
 * caller may simply retry), and if the write in flight made no progress either, the next request
 * leads. A request whose statements were sent is never told that: its write may still commit
 * (D1 lets a batch run 30 s), so it waits `settleMs`, longer than D1 can take, and only then
 * fails with `CommitOutcomeUnknown`; the caller must retry in a way that cannot apply it twice.
 */

/** A statement as text and values: prepared by the leader, in its own request's context. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/** The statements were never sent to D1: nothing of them was written. */
export class CommitNotSent extends Error {}

/** The statements were sent and no answer came within `settleMs`: they may or may not have committed. */
export class CommitOutcomeUnknown extends Error {}

interface Entry {
  statements: Statement[];
  bytes: number;
  /** When the leader handed the entry's group to D1. */
  sentAt?: number;
  results?: D1Result[];
  /** How many requests shared the transaction. */
  groupSize?: number;
  error?: unknown;
}

/** A waiting request looks at its entry after 1, 2, 4 ms, then every MAX_POLL_MS. */
const MAX_POLL_MS = 4;

export interface GroupCommitOptions {
  maxEntries: number;
  maxBytes: number;
  /** How long a request still queued waits for a write in flight before it gives up. */
  stallMs: number;
  /** How long a request whose statements were sent waits for D1's answer: past D1's own limit. */
  settleMs: number;
}

export class GroupCommit {
  private readonly waiting: Entry[] = [];
  private leading = false;
  private lastProgress = 0;

  constructor(private readonly options: GroupCommitOptions) {}

  /**
   * Commits `statements` (in order, in one transaction with whatever else is in the group) and
   * answers their results, with how many requests shared the transaction. `bytes` weighs the
   * entry for the group's size limit; `waitUntil` keeps a write going if its request's client
   * goes away.
   */
  async run(db: D1Database, statements: Statement[], bytes: number, waitUntil?: (p: Promise<unknown>) => void): Promise<{ results: D1Result[]; groupSize: number }> {
    const entry: Entry = { statements, bytes };
    this.waiting.push(entry);
    const since = Date.now();
    let pause = 1;
    for (;;) {
      if (entry.error !== undefined) throw entry.error;
      if (entry.results) return { results: entry.results, groupSize: entry.groupSize! };
      if (!this.leading) {
        // Nobody is writing: this request writes the queue's head (its own entry, or older ones).
        this.leading = true;
        const flush = this.flush(db);
        waitUntil?.(flush);
        await flush;
        continue;
      }
      // Poll: the runtime refuses a promise resolved from another request's context, so a
      // waiting request looks at its entry on its own timer (which also keeps it from being
      // taken for hung).
      if (entry.sentAt === undefined && Date.now() - since >= this.options.stallMs) this.stall(entry);
      else if (entry.sentAt !== undefined && Date.now() - entry.sentAt >= this.options.settleMs) this.giveUp(entry);
      else await new Promise((tick) => setTimeout(tick, pause));
      pause = Math.min(pause * 2, MAX_POLL_MS);
    }
  }

  /** Writes one group from the head of the queue and settles its members. */
  private async flush(db: D1Database): Promise<void> {
    const group: Entry[] = [];
    let bytes = 0;
    while (this.waiting.length > 0 && group.length < this.options.maxEntries) {
      const next = this.waiting[0]!;
      if (group.length > 0 && bytes + next.bytes > this.options.maxBytes) break;
      bytes += next.bytes;
      group.push(this.waiting.shift()!);
    }
    this.lastProgress = Date.now();
    for (const e of group) e.sentAt = this.lastProgress;
    try {
      // Statements are prepared here: a prepared statement belongs to the request that made it.
      const results = await db.batch(group.flatMap((e) => e.statements.map((st) => db.prepare(st.sql).bind(...st.params))));
      let at = 0;
      for (const e of group) {
        e.results = results.slice(at, at + e.statements.length);
        e.groupSize = group.length;
        at += e.statements.length;
      }
    } catch (err) {
      for (const e of group) e.error = err;
    } finally {
      this.lastProgress = Date.now();
      this.leading = false;
    }
  }

  /** A request waited `stallMs` in the queue, never sent: take it out, and unblock the rest. */
  private stall(entry: Entry) {
    if (entry.results || entry.error !== undefined) return;
    const at = this.waiting.indexOf(entry);
    if (at >= 0) this.waiting.splice(at, 1);
    entry.error = new CommitNotSent(`group commit stalled for ${this.options.stallMs} ms; nothing was sent`);
    // The write in flight made no progress either: it is lost. The next request to look leads;
    // should the lost write ever finish, it only settles its own group.
    if (Date.now() - this.lastProgress >= this.options.stallMs) this.leading = false;
  }

  /** A sent write did not answer within `settleMs`: its outcome cannot be known from here. */
  private giveUp(entry: Entry) {
    if (entry.results || entry.error !== undefined) return;
    entry.error = new CommitOutcomeUnknown(`group commit sent ${this.options.settleMs} ms ago and not answered; it may have committed`);
  }
}

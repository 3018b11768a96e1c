/**
 * The partition's sweep (its alarm), which replaces the D1 sweeper: a pending delivery whose
 * attempt has been due for STALE (SWEEP_STALE_MS, 60 s by default) is taken to be out of the
 * queue and is enqueued again, its due time moved to now first so no later page or run takes it
 * twice (a duplicate this makes is harmless: the consumer sends each attempt's first claim only).
 *
 * No run scans the table. Pending deliveries are in one of two places (migrations/0000_init.ts):
 * - due after their creation (retries, resends, replays, ones swept before): deliveries_due,
 *   read from its oldest entry;
 * - due at their creation (never attempted, inserted by accept() without a due time): above a
 *   low-water mark on the id. Each run reads the deliveries created since the mark and before
 *   now - STALE, sends the pending ones again (which moves them into deliveries_due) and moves
 *   the mark past all it read. Ingest no longer inserts pending deliveries (a delivery is written
 *   with its first attempt, and the event's shard sweeps what was never attempted:
 *   src/durable/event-shard/sweep.ts), so this path is for accept()'s callers that give no due time.
 */
import type { Env } from "../../env";
import { enqueueReporting, Pacer } from "../../delivery/enqueue";
import type { LogScope, Requeue } from "../../storage/contract";
import type { Log } from "./context";
import { deliveryIdFloor } from "./ids";
import { setSweepMark, sweepMark } from "./meta";

export const STALE_AFTER_MS = 60_000;
export const staleAfter = (env: Env) => Number(env.SWEEP_STALE_MS) || STALE_AFTER_MS;
/** Runs no closer together than this (unless a run left a full page): overdue is found within STALE and this. */
const gapOf = (stale: number) => Math.max(1_000, stale / 2);

/** Deliveries read past the mark per page: a minute of 100 deliveries/s is 6,000. */
const FRESH_PAGE = 10_000;
/** Overdue deliveries taken from deliveries_due per page. */
const DUE_PAGE = 1_000;
/** A run's pages, and its time (the enqueue is paced at 2,500/s): inside one alarm's limits. */
const MAX_PAGES = 10;
const BUDGET_MS = 20_000;
const IDS_PER_STATEMENT = 90;

export interface SweepReport {
  requeued: Requeue[];
  /** What the queue did not take: still pending, due again after STALE. */
  unsent: number;
  /** When the next run is due; null: nothing is pending and nothing is left to look at. */
  next: number | null;
}

type Scanned = { id: string; status: string; next_attempt_at: number | null; created_at: number };

/** One page of each source, due times moved to now; answers what to enqueue and whether a page was full. */
function takePage(log: Log, now: number, cutoff: number): { due: Requeue[]; full: boolean } {
  return log.storage.transactionSync(() => {
    const mark = sweepMark(log);
    const scanned = log.sql.all<Scanned>(
      "SELECT id, status, next_attempt_at, created_at FROM deliveries WHERE id > ?1 AND id < ?2 ORDER BY id LIMIT ?3",
      mark, deliveryIdFloor(cutoff + 1), FRESH_PAGE,
    );
    const fresh = scanned.filter((r) => r.status === "pending" && r.next_attempt_at === r.created_at).map((r) => r.id);
    const due: Requeue[] = [];
    for (let i = 0; i < fresh.length; i += IDS_PER_STATEMENT) {
      const part = fresh.slice(i, i + IDS_PER_STATEMENT);
      due.push(...log.sql.all<Requeue & Record<string, SqlStorageValue>>(
        `UPDATE deliveries SET next_attempt_at = ?1 WHERE status = 'pending' AND id IN (${part.map((_, j) => `?${j + 2}`).join(",")})
         RETURNING id AS delivery_id, attempts + 1 AS attempt, event_id`,
        now, ...part,
      ));
    }
    const last = scanned.at(-1);
    if (last) setSweepMark(log, last.id);

    const overdue = log.sql.all<Requeue & Record<string, SqlStorageValue>>(
      `UPDATE deliveries SET next_attempt_at = ?1
        WHERE id IN (SELECT id FROM deliveries INDEXED BY deliveries_due
                      WHERE status = 'pending' AND next_attempt_at > created_at AND next_attempt_at <= ?2
                      ORDER BY next_attempt_at LIMIT ?3)
        RETURNING id AS delivery_id, attempts + 1 AS attempt, event_id`,
      now, cutoff, DUE_PAGE,
    );
    due.push(...overdue);
    return { due, full: scanned.length === FRESH_PAGE || overdue.length === DUE_PAGE };
  });
}

/** The earliest time anything here can be overdue, or null when nothing is pending and the mark is at the end. */
export function nextRun(log: Log, stale: number, now: number): number | null {
  const above = log.sql.first<{ created_at: number }>("SELECT created_at FROM deliveries WHERE id > ? ORDER BY id LIMIT 1", sweepMark(log));
  const due = log.sql.first<{ next_attempt_at: number }>(
    `SELECT next_attempt_at FROM deliveries INDEXED BY deliveries_due
      WHERE status = 'pending' AND next_attempt_at > created_at ORDER BY next_attempt_at LIMIT 1`,
  );
  const times = [above?.created_at, due?.next_attempt_at].filter((t): t is number => t !== undefined).map((t) => t + stale);
  if (times.length === 0) return null;
  return Math.max(Math.min(...times), now + gapOf(stale));
}

/** True while a delivery is pending (drop refuses then). */
export function anyPending(log: Log): boolean {
  return (
    log.sql.first(`SELECT 1 AS found FROM deliveries INDEXED BY deliveries_due WHERE status = 'pending' AND next_attempt_at > created_at LIMIT 1`) !== undefined ||
    // Never-attempted pending ones are above the mark (rows below it have all been looked at).
    log.sql.first("SELECT 1 AS found FROM deliveries WHERE id > ? AND status = 'pending' LIMIT 1", sweepMark(log)) !== undefined
  );
}

export async function sweepPartition(log: Log, env: Env, scope: LogScope, now: number): Promise<SweepReport> {
  const stale = staleAfter(env);
  const started = Date.now();
  const report: SweepReport = { requeued: [], unsent: 0, next: null };
  let more = false;
  // One pace for the whole run: a page paced on its own would start at full speed after the last.
  const pacer = new Pacer();
  for (let page = 0; page < MAX_PAGES && Date.now() - started < BUDGET_MS; page++) {
    const { due, full } = takePage(log, now, now - stale);
    const sent = await enqueueReporting(
      env,
      due.map((r) => ({ ...r, organisation_id: scope.organisationId, webhook_id: scope.webhookId })),
      0,
      "main",
      pacer,
    );
    report.requeued.push(...due);
    report.unsent += sent.unsent.length;
    more = full;
    // The queue refuses (down, or over its rate even after retries): the next run tries again.
    if (!full || sent.unsent.length > 0) break;
  }
  const next = nextRun(log, stale, Date.now());
  report.next = next !== null && more && report.unsent === 0 ? Date.now() : next;
  return report;
}

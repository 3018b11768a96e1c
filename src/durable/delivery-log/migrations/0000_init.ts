/**
 * The partition's first schema. Rows written are the bill and every index entry is one, so the
 * success path of a delivery touches no index at all:
 * - deliveries and attempts are WITHOUT ROWID tables on their natural keys: the attempts' key
 *   (created_at, id) is the log's order, so a page is a range of the primary key.
 * - deliveries_due holds only pending deliveries due after their creation (a retry, a resend, a
 *   replay, or one the sweep already re-enqueued). A first attempt is due at creation
 *   (next_attempt_at = created_at) and stays out: the sweep finds those in id order from a
 *   low-water mark instead (sweep.ts), so accept writes one row, not two.
 * - deliveries_recoverable holds deliveries that ended failed or skipped (not tests or checks):
 *   what a recovery and a replay read, without a scan of the day. A success never enters it.
 * - deliveries_resent holds the deliveries a recovery job re-sent (resent_by), so a step redone
 *   after a crash finds them again whatever their state now. Written by recoveries only.
 * - attempts_unsuccessful holds the log rows that are not successes, for the status filter; a
 *   success writes no entry (the success filter reads the primary key, where successes are most
 *   rows).
 * - totals is one row, rollups one per minute: upserted once per record() call, not per attempt.
 * Bytes are what retention keeps, so an attempt row holds only what its delivery row does not:
 * the delivery's event id, event and test flag are joined from it on read (page.ts, read.ts),
 * its revision is NULL when it is the delivery's (revision.ts), its signing headers and the
 * delivery's attempt keys are packed (packed-headers.ts, keys.ts).
 * Edited in place rather than followed by a migration: no partition was deployed with the
 * earlier shape (attempts repeating event_id, event, test and the signing headers as JSON).
 */
export const init = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  revision_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'success', 'failed', 'skipped')),
  attempts INTEGER NOT NULL,
  last_attempt INTEGER,
  next_attempt_at INTEGER,
  test INTEGER NOT NULL,
  call INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  resent_by TEXT,
  attempt_keys TEXT NOT NULL,
  origin_revision_id TEXT
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending' AND next_attempt_at > created_at;
--> statement-breakpoint
CREATE INDEX deliveries_recoverable ON deliveries(id) WHERE status IN ('failed', 'skipped') AND call = 0;
--> statement-breakpoint
CREATE INDEX deliveries_resent ON deliveries(resent_by, id) WHERE resent_by IS NOT NULL;
--> statement-breakpoint
CREATE TABLE attempts (
  created_at INTEGER NOT NULL,
  id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('success', 'failed', 'retrying', 'skipped')),
  response_code INTEGER,
  response_time_ms INTEGER,
  error_code TEXT,
  error TEXT,
  revision_id TEXT,
  signed_headers TEXT,
  response_content_type TEXT,
  response_body TEXT,
  PRIMARY KEY (created_at, id)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX attempts_unsuccessful ON attempts(status, created_at, id) WHERE status <> 'success';
--> statement-breakpoint
CREATE TABLE totals (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  total INTEGER NOT NULL,
  successful INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  last_success_at INTEGER,
  last_failure_at INTEGER,
  last_triggered_at INTEGER,
  latency TEXT NOT NULL
);
--> statement-breakpoint
CREATE TABLE rollups (
  minute INTEGER PRIMARY KEY,
  success INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  latency TEXT NOT NULL
);
`;

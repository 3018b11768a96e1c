/**
 * The export job's own queries: the claim that starts an invocation, and the checkpoint that
 * lets the next invocation go on where this one stopped. The job is found by the id its queue
 * message carries and from then on works within the organisation its row names.
 *
 * One invocation at a time: R2 gives each uploaded part a new ETag, so a second invocation
 * uploading the same part again (a duplicate message, the sweep re-enqueueing a slow export)
 * would make the first one's record of it stale and the upload impossible to complete. A claim
 * takes a lease that each checkpoint renews and a pause or a caught crash gives up; `runs`
 * names the invocation, and every later write checks it and the part count it started from.
 */
import type { Position } from "./attempts";
import { parseExport, type ExportRecord, type RawExport } from "./exports";

export interface ExportCheckpoint {
  /** The R2 multipart upload; null until the first invocation begins it. */
  uploadId: string | null;
  /** The last row begun; the next invocation reads the rows after it. */
  position: Position | null;
  parts: R2UploadedPart[];
  /** The bytes of that row that come after the last part (less than one row). */
  tail: Uint8Array;
  rows: number;
}

export type ExportJob = ExportRecord & { tries: number; runs: number; checkpoint: ExportCheckpoint };

/** Another invocation holds the export until `leaseUntil`. */
export interface ExportBusy {
  busy: true;
  leaseUntil: number;
}

type RawJob = RawExport & { tries: number; runs: number; upload_id: string | null; position: string | null; parts: string; tail: ArrayBuffer | number[] | null };

/**
 * Takes an export to run: pending, or running (a continuation, or an earlier try that died),
 * unless another invocation holds its lease. Done and failed exports are left alone. Each claim
 * counts a try, so a try that died without a word (the isolate gone mid-export) still counts;
 * an invocation that pauses by plan hands its try back (`saveCheckpoint`).
 */
export async function claimExport(d1: D1Database, id: string, now: number, leaseMs: number): Promise<ExportJob | ExportBusy | null> {
  const [claim, held] = await d1.batch([
    d1
      .prepare(
        `UPDATE exports SET status = 'running', error = NULL, tries = tries + 1, runs = runs + 1, lease_until = ?3, updated_at = ?2
         WHERE id = ?1 AND status IN ('pending', 'running') AND expires_at > ?2 AND lease_until <= ?2
         RETURNING id, organisation_id, webhook_id, '' AS webhook_name, status, filters, rows, object_key, error, created_at, expires_at,
           tries, runs, upload_id, position, parts, tail`,
      )
      .bind(id, now, now + leaseMs),
    d1.prepare("SELECT lease_until FROM exports WHERE id = ? AND status IN ('pending', 'running') AND expires_at > ?").bind(id, now),
  ]);
  const row = claim!.results[0] as RawJob | undefined;
  if (!row) {
    const lease = held!.results[0] as { lease_until: number } | undefined;
    return lease ? { busy: true, leaseUntil: lease.lease_until } : null;
  }
  return {
    ...parseExport(row),
    tries: row.tries,
    runs: row.runs,
    checkpoint: {
      uploadId: row.upload_id,
      position: row.position ? (JSON.parse(row.position) as Position) : null,
      parts: JSON.parse(row.parts) as R2UploadedPart[],
      tail: row.tail ? new Uint8Array(row.tail) : new Uint8Array(0),
      rows: row.rows,
    },
  };
}

/** Records the upload the export writes to; false when another invocation began one first. */
export async function saveUploadId(d1: D1Database, job: ExportJob, uploadId: string): Promise<boolean> {
  const res = await d1
    .prepare("UPDATE exports SET upload_id = ? WHERE organisation_id = ? AND id = ? AND status = 'running' AND runs = ? AND upload_id IS NULL")
    .bind(uploadId, job.organisation_id, job.id, job.runs)
    .run();
  return res.meta.changes === 1;
}

/**
 * Saves the checkpoint at a part boundary and renews the lease; also the export's sign of life
 * for the sweep. With `pausing`, the invocation stops here by plan: it gives the lease up and
 * hands its try back. False when the export is gone (its webhook deleted), finished, or taken
 * over by another invocation after this one's lease ran out.
 */
export async function saveCheckpoint(
  d1: D1Database,
  job: ExportJob,
  partsBefore: number,
  c: ExportCheckpoint,
  lease: { pausing: boolean; ms: number },
): Promise<boolean> {
  const now = Date.now();
  const res = await d1
    .prepare(
      `UPDATE exports SET position = ?1, parts = ?2, tail = ?3, rows = ?4, tries = max(tries - ?5, 0), lease_until = ?6, updated_at = ?7
       WHERE organisation_id = ?8 AND id = ?9 AND status = 'running' AND runs = ?10 AND upload_id = ?11 AND json_array_length(parts) = ?12`,
    )
    .bind(
      JSON.stringify(c.position),
      JSON.stringify(c.parts),
      c.tail,
      c.rows,
      lease.pausing ? 1 : 0,
      lease.pausing ? 0 : now + lease.ms,
      now,
      job.organisation_id,
      job.id,
      job.runs,
      c.uploadId,
      partsBefore,
    )
    .run();
  return res.meta.changes === 1;
}

/** A crash this invocation caught: the next try need not wait for the lease to run out. */
export async function releaseLease(d1: D1Database, job: ExportJob) {
  await d1.prepare("UPDATE exports SET lease_until = 0 WHERE organisation_id = ? AND id = ? AND runs = ?").bind(job.organisation_id, job.id, job.runs).run();
}

/**
 * Marks the export done and drops its checkpoint. "gone" when its row is (its webhook was deleted
 * while it ran: the file must go too); "taken" when another invocation finished or failed it.
 */
export async function finishExport(d1: D1Database, job: ExportJob, rows: number): Promise<"finished" | "gone" | "taken"> {
  const [update, row] = await d1.batch([
    d1
      .prepare(
        `UPDATE exports SET status = 'done', rows = ?, upload_id = NULL, position = NULL, parts = '[]', tail = NULL, updated_at = ?
         WHERE organisation_id = ? AND id = ? AND status = 'running'`,
      )
      .bind(rows, Date.now(), job.organisation_id, job.id),
    d1.prepare("SELECT 1 AS found FROM exports WHERE organisation_id = ? AND id = ?").bind(job.organisation_id, job.id),
  ]);
  if (update!.meta.changes === 1) return "finished";
  return row!.results.length === 0 ? "gone" : "taken";
}

/**
 * One invocation of the export job: page through the matching log rows (the same query and
 * order as the logs list, newest first) and stream them as CSV into one R2 multipart upload.
 * Memory holds one page of rows and one part, never the file.
 *
 * An export bigger than one invocation's budget (./budget.ts) saves a checkpoint at each part
 * boundary and, once the budget is spent, stops at one; the next invocation goes on from there.
 * The bytes are the same as one invocation would write: a part is made only of the rows after
 * the checkpoint's position and the tail it carries, so a part uploaded twice (a crash between
 * its upload and its checkpoint) is uploaded with the same number and the same bytes.
 */
import { listAttempts, type Position } from "../db/attempts";
import { claimExport, finishExport, handBackTry, saveCheckpoint, saveUploadId, type ExportJob } from "../db/export-job";
import type { Env } from "../env";
import { utf8 } from "../lib/encoding";
import { exportBudget, InvocationBudget } from "./budget";
import { LOG_CSV_HEADER, logCsvLine } from "./csv";
import { EXPORT_MAX_ATTEMPTS, giveUpExport } from "./give-up";
import { MIN_PART_BYTES, PartWriter } from "./part-writer";

/** Rows per D1 read: about 300 KB of CSV, few round trips without a large result. */
export const EXPORT_PAGE_ROWS = 1000;

export type ExportRun =
  | { outcome: "done" | "paused"; rows: number; parts: number; calls: number; ms: number }
  /** Nothing to do: done, failed, expired or deleted, or another invocation is ahead of this one. */
  | { outcome: "idle" };

/** Points where a test can make the invocation die, as an isolate that is evicted would. */
export interface RunHooks {
  /** A part is uploaded and its checkpoint not yet saved. */
  partUploaded?: (partNumber: number) => void | Promise<void>;
  /** The checkpoint is saved and the invocation has not yet paused or gone on. */
  checkpointSaved?: (partNumber: number) => void | Promise<void>;
}

const IDLE = { outcome: "idle" } as const;

export async function runExport(env: Env, exportId: string, hooks: RunHooks = {}, partBytes = MIN_PART_BYTES): Promise<ExportRun> {
  const budget = new InvocationBudget(exportBudget(env));
  budget.spend();
  const job = await claimExport(env.DB, exportId, Date.now());
  if (!job) return IDLE;
  if (job.tries > EXPORT_MAX_ATTEMPTS) {
    // Earlier tries died without a word (their queue retries, or the sweep, brought it back).
    await giveUpExport(env, exportId);
    return IDLE;
  }
  const upload = await openUpload(env, job, budget);
  if (!upload) return IDLE;
  const from = job.checkpoint;
  const writer = new PartWriter(upload, from, partBytes);
  if (from.parts.length === 0 && from.position === null) await writer.write(utf8.encode(LOG_CSV_HEADER));
  let position: Position | null = from.position;
  let rows = from.rows;
  const run = (outcome: "done" | "paused") => ({ outcome, rows, parts: writer.parts.length, ...budget.used });

  let more = true;
  while (more) {
    budget.spend();
    const page = await listAttempts(env.DB, job.organisation_id, job.webhook_id, job.filters, position, EXPORT_PAGE_ROWS);
    more = page.next !== null;
    for (const [i, row] of page.rows.entries()) {
      const partsBefore = writer.parts.length;
      // One row at a time, so that a part boundary is known to fall in this row.
      await writer.write(utf8.encode(logCsvLine(row)));
      position = { createdAt: row.created_at, id: row.id };
      rows++;
      if (writer.parts.length === partsBefore) continue;

      budget.spend(2); // the part, and its checkpoint
      budget.partDone();
      await hooks.partUploaded?.(writer.parts.length);
      const pausing = (more || i < page.rows.length - 1) && !budget.affordsAnotherPart();
      const checkpoint = { uploadId: upload.uploadId, position, parts: [...writer.parts], tail: writer.pending(), rows };
      if (!(await saveCheckpoint(env.DB, job, partsBefore, checkpoint, pausing))) {
        // Another invocation saved this part first (or the export is gone): it goes on, not this one.
        await handBackTry(env.DB, job);
        return IDLE;
      }
      await hooks.checkpointSaved?.(writer.parts.length);
      if (pausing) return run("paused");
    }
    // Let other requests in between pages. Locally D1 runs on the worker's own thread and its
    // answers never leave the event loop idle: without this an export froze the whole API.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  budget.spend(2);
  await writer.complete();
  // The webhook was deleted while this ran: its export row is gone, so the file goes too.
  if ((await finishExport(env.DB, job, rows)) === "gone") await env.EXPORTS.delete(job.object_key!);
  return run("done");
}

/** The upload the checkpoint names, or a new one; null when another invocation began one first. */
async function openUpload(env: Env, job: ExportJob, budget: InvocationBudget): Promise<R2MultipartUpload | null> {
  const key = job.object_key!;
  if (job.checkpoint.uploadId) return env.EXPORTS.resumeMultipartUpload(key, job.checkpoint.uploadId);
  budget.spend(2);
  const upload = await env.EXPORTS.createMultipartUpload(key, { httpMetadata: { contentType: "text/csv; charset=utf-8" } });
  if (await saveUploadId(env.DB, job, upload.uploadId)) return upload;
  await upload.abort().catch(() => undefined);
  await handBackTry(env.DB, job);
  return null;
}

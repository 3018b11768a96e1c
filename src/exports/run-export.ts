/**
 * One invocation of the export job: page through the matching log rows (the logs list's merged
 * read of the webhook's partitions, in its order, newest first) and stream them as CSV into one
 * R2 multipart upload. Memory holds what the partitions answered and one part, never the file.
 *
 * An export bigger than one invocation's budget (./budget.ts) saves a checkpoint at each part
 * boundary and, once the budget is spent, stops at one; the next invocation goes on from there.
 * The bytes are the same as one invocation would write: a part is made only of the rows after
 * the checkpoint's position and the tail it carries, so a part uploaded twice (a crash between
 * its upload and its checkpoint) is uploaded with the same number and the same bytes.
 */
import type { Position } from "../db/attempts";
import { claimExport, finishExport, releaseLease, saveCheckpoint, saveUploadId, type ExportJob } from "../db/export-job";
import type { Env } from "../env";
import { utf8 } from "../lib/encoding";
import { livePartitions, openLog } from "../storage/log-pages";
import type { ChunkSize } from "../storage/merge-pages";
import { EXPORT_LEASE_MS, exportBudget, InvocationBudget } from "./budget";
import { LOG_CSV_HEADER, logCsvLine } from "./csv";
import { EXPORT_MAX_ATTEMPTS, giveUpExport } from "./give-up";
import { MIN_PART_BYTES, PartWriter } from "./part-writer";

/** Rows per page written: about 300 KB of CSV, and the most rows asked of one partition at a time. */
export const EXPORT_PAGE_ROWS = 1000;

/**
 * Each partition is first asked for its share of a page (at least 100 rows), and for twice as
 * many each time the merge uses up what it gave, up to a page: a log in one partition is read a
 * page per call, and one spread over a month of partitions starts from a thirtieth of a page
 * each instead of holding thirty pages; the busy ones soon answer a page per call again.
 */
export const exportChunks = (partitions: number): ChunkSize => ({
  first: Math.max(100, Math.ceil(EXPORT_PAGE_ROWS / Math.max(partitions, 1))),
  max: EXPORT_PAGE_ROWS,
});

export type ExportRun =
  | { outcome: "done" | "paused"; rows: number; parts: number; calls: number; ms: number }
  /** Another invocation holds the export until `leaseUntil`. */
  | { outcome: "busy"; leaseUntil: number }
  /** Nothing to do: done, failed, expired or deleted, or taken over by another invocation. */
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
  const job = await claimExport(env.DB, exportId, Date.now(), EXPORT_LEASE_MS);
  if (!job) return IDLE;
  if ("busy" in job) return { outcome: "busy", leaseUntil: job.leaseUntil };
  if (job.tries > EXPORT_MAX_ATTEMPTS) {
    // Earlier tries died without a word (their queue retries, or the sweep, brought it back).
    await giveUpExport(env, exportId);
    return IDLE;
  }
  try {
    return await writeExport(env, job, budget, hooks, partBytes);
  } catch (err) {
    await releaseLease(env.DB, job).catch(() => undefined);
    throw err;
  }
}

async function writeExport(env: Env, job: ExportJob, budget: InvocationBudget, hooks: RunHooks, partBytes: number): Promise<ExportRun> {
  const upload = await openUpload(env, job, budget);
  if (!upload) return IDLE;
  const from = job.checkpoint;
  const writer = new PartWriter(upload, from, partBytes);
  if (from.parts.length === 0 && from.position === null) await writer.write(utf8.encode(LOG_CSV_HEADER));
  let position: Position | null = from.position;
  let rows = from.rows;
  const run = (outcome: "done" | "paused") => ({ outcome, rows, parts: writer.parts.length, ...budget.used });

  budget.spend(); // the partition list
  const days = await livePartitions(env, job.organisation_id, job.webhook_id);
  const log = openLog(env, job.organisation_id, job.webhook_id, days, job.filters, position, exportChunks);
  /** A read of the merged log, its calls to partitions counted. */
  const read = async <T>(work: () => Promise<T>): Promise<T> => {
    const before = log.calls;
    try {
      return await work();
    } finally {
      budget.spend(log.calls - before);
    }
  };
  // Only asked at the end of a page: the partitions are read again then, as the next page would read them.
  const rowsLeft = () => read(() => log.more());

  let more = true;
  while (more) {
    const page = await read(() => log.take(EXPORT_PAGE_ROWS));
    for (const [i, row] of page.entries()) {
      const partsBefore = writer.parts.length;
      // One row at a time, so that a part boundary is known to fall in this row.
      await writer.write(utf8.encode(logCsvLine(row)));
      position = { createdAt: row.created_at, id: row.id };
      rows++;
      if (writer.parts.length === partsBefore) continue;

      budget.spend(2); // the part, and its checkpoint
      budget.partDone();
      await hooks.partUploaded?.(writer.parts.length);
      const pausing = !budget.affordsAnotherPart() && (i < page.length - 1 || (await rowsLeft()));
      const checkpoint = { uploadId: upload.uploadId, position, parts: [...writer.parts], tail: writer.pending(), rows };
      // Refused when the export is gone or finished, or another invocation took it over.
      if (!(await saveCheckpoint(env.DB, job, partsBefore, checkpoint, { pausing, ms: EXPORT_LEASE_MS }))) return IDLE;
      await hooks.checkpointSaved?.(writer.parts.length);
      if (pausing) return run("paused");
    }
    // Let other requests in between pages. Locally D1 and the objects run on the worker's own
    // thread and their answers never leave the event loop idle: without this an export froze the whole API.
    await new Promise((resolve) => setTimeout(resolve, 0));
    // A short page is the last: the merge gives fewer rows only when every partition is done.
    more = page.length === EXPORT_PAGE_ROWS && (await rowsLeft());
  }
  budget.spend(2);
  await writer.complete();
  // The webhook was deleted while this ran: its export row is gone, so the file goes too.
  if ((await finishExport(env.DB, job, rows)) === "gone") await env.EXPORTS.delete(job.object_key!);
  return run("done");
}

/** The upload the checkpoint names, or a new one (from the first row); null when the export was taken over. */
async function openUpload(env: Env, job: ExportJob, budget: InvocationBudget): Promise<R2MultipartUpload | null> {
  const key = job.object_key!;
  if (job.checkpoint.uploadId) return env.EXPORTS.resumeMultipartUpload(key, job.checkpoint.uploadId);
  budget.spend(2);
  const upload = await env.EXPORTS.createMultipartUpload(key, { httpMetadata: { contentType: "text/csv; charset=utf-8" } });
  if (!(await saveUploadId(env.DB, job, upload.uploadId))) {
    await upload.abort().catch(() => undefined);
    return null;
  }
  // No upload, no checkpoint: an export whose row predates checkpoints starts from nothing.
  job.checkpoint = { uploadId: upload.uploadId, position: null, parts: [], tail: new Uint8Array(0), rows: 0 };
  return upload;
}

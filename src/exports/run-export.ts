/**
 * The export job: page through the matching log rows (the same query and order as the logs
 * list, newest first) and stream them as CSV into one R2 object. Memory holds one page of rows
 * and one multipart part, never the file.
 */
import { listAttempts, type Position } from "../db/attempts";
import { claimExport, failExport, finishExport, reportProgress } from "../db/exports";
import type { Env } from "../env";
import { utf8 } from "../lib/encoding";
import { LOG_CSV_HEADER, logCsvLine } from "./csv";
import { MIN_PART_BYTES, PartWriter } from "./part-writer";

/** Tries per export (claims, counted in D1) before it is marked failed. */
export const EXPORT_MAX_ATTEMPTS = 3;
export const EXPORT_GAVE_UP = "The export could not be written; please try again";

/** Rows per D1 read: about 300 KB of CSV, few round trips without a large result. */
export const EXPORT_PAGE_ROWS = 1000;

export interface ExportRun {
  rows: number;
  parts: number;
}

/** Runs one export; null when there is nothing to run (done, failed, expired or deleted). */
export async function runExport(env: Env, exportId: string, partBytes = MIN_PART_BYTES): Promise<ExportRun | null> {
  const job = await claimExport(env.DB, exportId, Date.now());
  if (!job) return null;
  if (job.tries > EXPORT_MAX_ATTEMPTS) {
    // Earlier tries died without a word (their queue retries, or the sweep, brought it back).
    await failExport(env.DB, exportId, EXPORT_GAVE_UP);
    return null;
  }
  const key = job.object_key!;
  const upload = await env.EXPORTS.createMultipartUpload(key, { httpMetadata: { contentType: "text/csv; charset=utf-8" } });
  const writer = new PartWriter(upload, partBytes);
  let rows = 0;
  try {
    await writer.write(utf8.encode(LOG_CSV_HEADER));
    let after: Position | null = null;
    do {
      const page = await listAttempts(env.DB, job.organisation_id, job.webhook_id, job.filters, after, EXPORT_PAGE_ROWS);
      const partsBefore = writer.partsUploaded;
      await writer.write(utf8.encode(page.rows.map(logCsvLine).join("")));
      rows += page.rows.length;
      after = page.next;
      if (writer.partsUploaded > partsBefore) await reportProgress(env.DB, job, rows);
      // Let other requests in between pages. Locally D1 runs on the worker's own thread and its
      // answers never leave the event loop idle: without this an export froze the whole API.
      await new Promise((resolve) => setTimeout(resolve, 0));
    } while (after);
    await writer.complete();
  } catch (err) {
    await upload.abort().catch(() => undefined);
    throw err;
  }
  // The webhook was deleted while this ran: its export row is gone, so the file goes too.
  if (!(await finishExport(env.DB, job, rows))) await env.EXPORTS.delete(key);
  return { rows, parts: writer.partsUploaded };
}

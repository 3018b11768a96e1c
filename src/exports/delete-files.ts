/**
 * The files of a deleted webhook's exports (recorded in D1 by its DELETE, src/db/webhooks.ts):
 * the request deletes them at once, and the maintenance run deletes whatever a failure left.
 * A record goes only after R2 has deleted its file, so no file is left with nothing to find it.
 *
 * An export still writing when its webhook went may have an invocation completing its upload
 * right then: if the abort below fails, the upload completes and the file comes back after this
 * delete. That invocation deletes it again when it finds its export gone (run-export.ts), unless
 * it dies or R2 fails it first. So such a file stays recorded for WRITING_SETTLES_MS, and the
 * maintenance run deletes it once more after that, when no invocation can still be running.
 */
import { forgetOrphanedExportFiles, orphanedExportFiles, type ExportFile } from "../db/exports";
import type { Env } from "../env";

/** R2 deletes at most 1,000 keys per call. */
const R2_DELETE_MAX = 1000;
const BATCH = 100;
/** Past a queue consumer invocation's longest run (15 minutes of wall time) with room to spare. */
export const WRITING_SETTLES_MS = 60 * 60_000;

/** Deletes the files; forgets them, except those of exports still writing unless `settled`. */
export async function deleteExportFiles(env: Env, files: ExportFile[], settled = false): Promise<void> {
  if (files.length === 0) return;
  // An export still writing has an open upload: aborted, or R2 keeps its parts until the
  // bucket's own clean-up. An upload that completed or was aborted already fails to abort,
  // which changes nothing.
  await Promise.all(files.filter((f) => f.upload_id).map((f) => env.EXPORTS.resumeMultipartUpload(f.object_key, f.upload_id!).abort().catch(() => undefined)));
  const keys = files.map((f) => f.object_key);
  for (let i = 0; i < keys.length; i += R2_DELETE_MAX) await env.EXPORTS.delete(keys.slice(i, i + R2_DELETE_MAX));
  await forgetOrphanedExportFiles(env.DB, files.filter((f) => settled || !f.upload_id).map((f) => f.object_key));
}

/** The maintenance run's share: every recorded file that has settled, a batch at a time. Answers how many went. */
export async function deleteOrphanedExportFiles(env: Env, now = Date.now()): Promise<number> {
  let deleted = 0;
  for (;;) {
    const files = await orphanedExportFiles(env.DB, BATCH, now - WRITING_SETTLES_MS);
    await deleteExportFiles(env, files, true);
    deleted += files.length;
    if (files.length < BATCH) return deleted;
  }
}

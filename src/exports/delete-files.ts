/**
 * The files of a deleted webhook's exports (recorded in D1 by its DELETE, src/db/webhooks.ts):
 * the request deletes them at once, and the maintenance run deletes whatever a failure left.
 * A record goes only after R2 has deleted its file, so no file is left with nothing to find it.
 */
import { forgetOrphanedExportFiles, orphanedExportFiles, type ExportFile } from "../db/exports";
import type { Env } from "../env";

/** R2 deletes at most 1,000 keys per call. */
const R2_DELETE_MAX = 1000;
const BATCH = 100;

export async function deleteExportFiles(env: Env, files: ExportFile[]): Promise<void> {
  if (files.length === 0) return;
  // An export still writing has an open upload: aborted, or R2 keeps its parts until the
  // bucket's own clean-up. An upload that completed or was aborted already fails to abort,
  // which changes nothing.
  await Promise.all(files.filter((f) => f.upload_id).map((f) => env.EXPORTS.resumeMultipartUpload(f.object_key, f.upload_id!).abort().catch(() => undefined)));
  const keys = files.map((f) => f.object_key);
  for (let i = 0; i < keys.length; i += R2_DELETE_MAX) await env.EXPORTS.delete(keys.slice(i, i + R2_DELETE_MAX));
  await forgetOrphanedExportFiles(env.DB, keys);
}

/** The maintenance run's share: every recorded file, a batch at a time. Answers how many went. */
export async function deleteOrphanedExportFiles(env: Env): Promise<number> {
  let deleted = 0;
  for (;;) {
    const files = await orphanedExportFiles(env.DB, BATCH);
    await deleteExportFiles(env, files);
    deleted += files.length;
    if (files.length < BATCH) return deleted;
  }
}

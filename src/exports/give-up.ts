import { failExport } from "../db/exports";
import type { Env } from "../env";

/** Tries per export (claims that crashed, counted in D1) before it is marked failed. */
export const EXPORT_MAX_ATTEMPTS = 3;
export const EXPORT_GAVE_UP = "The export could not be written; please try again";

/**
 * Fails the export for good and aborts its unfinished upload: a try that crashed leaves the
 * upload open for the next one, and R2 would keep its parts until the bucket's own clean-up.
 */
export async function giveUpExport(env: Env, id: string): Promise<void> {
  const failed = await failExport(env.DB, id, EXPORT_GAVE_UP);
  if (failed?.object_key && failed.upload_id) {
    await env.EXPORTS.resumeMultipartUpload(failed.object_key, failed.upload_id)
      .abort()
      .catch(() => undefined);
  }
}

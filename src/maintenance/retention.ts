/**
 * Retention: delivery attempts older than LOG_RETENTION_DAYS and exports past their expiry
 * (EXPORT_RETENTION_DAYS after creation) are removed by the maintenance run. The statistics are
 * lifetime counters kept apart from the log, so purging the log leaves them as they were.
 */
import { deleteExportRows, expiredExports } from "../db/exports";
import type { Env } from "../env";

const DAY_MS = 86_400_000;
export const DEFAULT_LOG_RETENTION_DAYS = 30;
export const DEFAULT_EXPORT_RETENTION_DAYS = 7;

/** A whole number of days from a wrangler var; anything else falls back to the default. */
function days(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

export const logRetentionMs = (env: Pick<Env, "LOG_RETENTION_DAYS">) => days(env.LOG_RETENTION_DAYS, DEFAULT_LOG_RETENTION_DAYS) * DAY_MS;
export const exportRetentionMs = (env: Pick<Env, "EXPORT_RETENTION_DAYS">) =>
  days(env.EXPORT_RETENTION_DAYS, DEFAULT_EXPORT_RETENTION_DAYS) * DAY_MS;

/**
 * Small deletes keep each statement short (D1 runs one statement at a time per database), and a
 * cap per run keeps a run inside a cron invocation; a backlog drains over the next runs.
 * 5,000 rows × 20 = 100,000 attempts a minute, far above the rate attempts are logged.
 */
export const PURGE_CHUNK = 5000;
export const PURGE_MAX_CHUNKS = 20;

/** Oldest first through attempts_created: each chunk reads only the rows it deletes. */
export const PURGE_ATTEMPTS_SQL = "DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE created_at < ? ORDER BY created_at LIMIT ?)";

/** Deletes attempts logged before `now` minus the retention, oldest first; answers how many. */
export async function purgeOldAttempts(env: Env, now = Date.now(), chunk = PURGE_CHUNK, maxChunks = PURGE_MAX_CHUNKS): Promise<number> {
  const cutoff = now - logRetentionMs(env);
  let purged = 0;
  for (let i = 0; i < maxChunks; i++) {
    const res = await env.DB.prepare(PURGE_ATTEMPTS_SQL).bind(cutoff, chunk).run();
    purged += res.meta.changes;
    if (res.meta.changes < chunk) break;
  }
  return purged;
}

/**
 * Finished deliveries go with the logs' retention, then the events none of whose deliveries is
 * left. An event is the idempotency record of its event_id, so a retry with the same id is
 * recognised for LOG_RETENTION_DAYS; pending deliveries (and their events) are never purged.
 */
export async function purgeOldDeliveries(env: Env, now = Date.now(), chunk = PURGE_CHUNK, maxChunks = PURGE_MAX_CHUNKS): Promise<number> {
  const cutoff = now - logRetentionMs(env);
  let purged = 0;
  for (let i = 0; i < maxChunks; i++) {
    const [deliveries, events] = await env.DB.batch([
      env.DB.prepare(
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries INDEXED BY deliveries_finished WHERE status <> 'pending' AND updated_at < ? ORDER BY updated_at LIMIT ?)",
      ).bind(cutoff, chunk),
      env.DB.prepare(
        `DELETE FROM events WHERE rowid IN (
           SELECT e.rowid FROM events e INDEXED BY events_created
            WHERE e.created_at < ? AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.organisation_id = e.organisation_id AND d.event_id = e.id)
            ORDER BY e.created_at LIMIT ?)`,
      ).bind(cutoff, chunk),
    ]);
    const changed = deliveries!.meta.changes + events!.meta.changes;
    purged += changed;
    if (deliveries!.meta.changes < chunk && events!.meta.changes < chunk) break;
    if (changed === 0) break;
  }
  return purged;
}

const EXPORT_BATCH = 100;

/** Deletes expired exports, their files first so that no file outlives its row. */
export async function purgeExpiredExports(env: Env, now = Date.now()): Promise<number> {
  let purged = 0;
  for (;;) {
    const expired = await expiredExports(env.DB, now, EXPORT_BATCH);
    if (expired.length === 0) return purged;
    const keys = expired.map((e) => e.object_key).filter((k): k is string => k !== null);
    if (keys.length) await env.EXPORTS.delete(keys);
    await deleteExportRows(env.DB, expired.map((e) => e.id));
    purged += expired.length;
    if (expired.length < EXPORT_BATCH) return purged;
  }
}

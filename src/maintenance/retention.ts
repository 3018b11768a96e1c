/**
 * Retention. The delivery log goes after LOG_RETENTION_DAYS a whole partition at a time, by the
 * objects' own alarms: a webhook's head drops its DeliveryLog partitions (one per day), folding
 * their totals into the lifetime statistics first, and each EventShard drops its event days
 * (src/durable/). Exports past their expiry (EXPORT_RETENTION_DAYS after creation) are D1 rows
 * and R2 files, removed by the maintenance run; so are finished recoveries, LOG_RETENTION_DAYS
 * after they ended (the logs they re-sent are gone by then).
 */
import { deleteExportRows, expiredExports } from "../db/exports";
import { deleteFinishedRecoveries } from "../db/recoveries";
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

const RECOVERY_BATCH = 500;

/** Deletes the recoveries that ended more than LOG_RETENTION_DAYS ago, a batch at a time; answers how many went. */
export async function purgeFinishedRecoveries(env: Env, now = Date.now()): Promise<number> {
  let purged = 0;
  for (;;) {
    const n = await deleteFinishedRecoveries(env.DB, now - logRetentionMs(env), RECOVERY_BATCH);
    purged += n;
    if (n < RECOVERY_BATCH) return purged;
  }
}

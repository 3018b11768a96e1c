/**
 * The exports table. Reads for the API take the organisation id; the job itself is found by the
 * id its queue message carries and from then on works within the organisation the row names.
 * An export past its expiry is gone for the API even before the purge removes it.
 */
import type { ExportFilters } from "../schemas/logs";

export interface ExportRecord {
  id: string;
  organisation_id: number;
  webhook_id: string;
  webhook_name: string;
  status: "pending" | "running" | "done" | "failed";
  filters: ExportFilters;
  rows: number;
  object_key: string | null;
  error: string | null;
  created_at: number;
  expires_at: number;
}

export type RawExport = Omit<ExportRecord, "filters"> & { filters: string };
export const parseExport = (r: RawExport): ExportRecord => ({ ...r, filters: JSON.parse(r.filters) as ExportFilters });

export const exportObjectKey = (organisationId: number, id: string) => `exports/${organisationId}/${id}.csv`;

/**
 * Inserts the export, only if the webhook is the organisation's and has no unfinished export;
 * answers whether it did. One statement, so two requests at once cannot both pass the check.
 */
export async function insertExport(
  d1: D1Database,
  e: { id: string; organisationId: number; webhookId: string; filters: ExportFilters; createdAt: number; expiresAt: number },
): Promise<boolean> {
  const res = await d1
    .prepare(
      `INSERT INTO exports (id, organisation_id, webhook_id, status, filters, rows, object_key, created_at, expires_at, updated_at)
       SELECT ?1, organisation_id, id, 'pending', ?2, 0, ?3, ?4, ?5, ?4 FROM webhooks WHERE organisation_id = ?6 AND id = ?7
       AND NOT EXISTS (SELECT 1 FROM exports INDEXED BY exports_webhook_unfinished
                       WHERE webhook_id = ?7 AND status IN ('pending', 'running') AND expires_at > ?4)`,
    )
    .bind(e.id, JSON.stringify(e.filters), exportObjectKey(e.organisationId, e.id), e.createdAt, e.expiresAt, e.organisationId, e.webhookId)
    .run();
  return res.meta.changes === 1;
}

export async function findExport(d1: D1Database, organisationId: number, id: string, now: number): Promise<ExportRecord | null> {
  const row = await d1
    .prepare(
      `SELECT e.id, e.organisation_id, e.webhook_id, w.name AS webhook_name, e.status, e.filters, e.rows, e.object_key, e.error, e.created_at, e.expires_at
       FROM exports e JOIN webhooks w ON w.id = e.webhook_id
       WHERE e.organisation_id = ? AND e.id = ? AND e.expires_at > ?`,
    )
    .bind(organisationId, id, now)
    .first<RawExport>();
  return row ? parseExport(row) : null;
}

/** The webhook's export that is still pending or running, if any. */
export async function findUnfinishedExport(d1: D1Database, organisationId: number, webhookId: string, now: number): Promise<string | null> {
  const row = await d1
    .prepare(
      `SELECT id FROM exports INDEXED BY exports_webhook_unfinished
       WHERE webhook_id = ? AND organisation_id = ? AND status IN ('pending', 'running') AND expires_at > ? LIMIT 1`,
    )
    .bind(webhookId, organisationId, now)
    .first<{ id: string }>();
  return row?.id ?? null;
}

/** Fails an unfinished export; answers where its upload was, so that it can be aborted. */
export async function failExport(d1: D1Database, id: string, error: string) {
  return d1
    .prepare(
      `UPDATE exports SET status = 'failed', error = ?, updated_at = ? WHERE id = ? AND status IN ('pending', 'running')
       RETURNING object_key, upload_id`,
    )
    .bind(error.slice(0, 500), Date.now(), id)
    .first<{ object_key: string | null; upload_id: string | null }>();
}

/**
 * Unfinished exports with no sign of life since `before` (a lost queue message, a try that died
 * without a word), oldest first; each is marked alive now so the next sweep leaves it alone
 * while it waits in the queue again.
 */
export async function takeStaleExports(d1: D1Database, before: number, now: number, limit: number) {
  const { results } = await d1
    .prepare(
      `UPDATE exports SET updated_at = ?2
       WHERE id IN (SELECT id FROM exports WHERE status IN ('pending', 'running') AND updated_at < ?1 ORDER BY updated_at LIMIT ?3)
       RETURNING id, tries`,
    )
    .bind(before, now, limit)
    .all<{ id: string; tries: number }>();
  return results;
}

/** Expired exports, oldest first, for the purge. */
export async function expiredExports(d1: D1Database, now: number, limit: number) {
  const { results } = await d1
    .prepare("SELECT id, object_key FROM exports WHERE expires_at <= ? ORDER BY expires_at LIMIT ?")
    .bind(now, limit)
    .all<{ id: string; object_key: string | null }>();
  return results;
}

export async function deleteExportRows(d1: D1Database, ids: string[]) {
  await deleteIn(d1, "exports", "id", ids);
}

/** Deletes the rows of `table` whose `column` is one of `values`; D1 binds at most 100 parameters per statement. */
async function deleteIn(d1: D1Database, table: string, column: string, values: string[]) {
  for (let i = 0; i < values.length; i += 100) {
    const chunk = values.slice(i, i + 100);
    await d1.prepare(`DELETE FROM ${table} WHERE ${column} IN (${chunk.map(() => "?").join(",")})`).bind(...chunk).run();
  }
}

/** A deleted webhook's export file, recorded until R2 has deleted it (migration 0015). */
export interface ExportFile {
  object_key: string;
  upload_id: string | null;
}

/**
 * The oldest recorded files of deleted webhooks' exports, `limit` at most: those of exports that
 * were done, and those of exports still writing recorded at or before `settledBefore` (no
 * invocation can still complete their uploads: src/exports/delete-files.ts).
 */
export async function orphanedExportFiles(d1: D1Database, limit: number, settledBefore: number): Promise<ExportFile[]> {
  const { results } = await d1
    .prepare("SELECT object_key, upload_id FROM orphaned_export_files WHERE upload_id IS NULL OR created_at <= ? ORDER BY created_at LIMIT ?")
    .bind(settledBefore, limit)
    .all<ExportFile>();
  return results;
}

/** Forgets files R2 has deleted. */
export async function forgetOrphanedExportFiles(d1: D1Database, keys: string[]) {
  await deleteIn(d1, "orphaned_export_files", "object_key", keys);
}

import type { ExportRecord } from "../db/exports";
import { iso } from "../lib/encoding";
import type { ExportOut } from "../schemas/logs";

/** The API's view of an export; `origin` makes the download link absolute. */
export function presentExport(e: ExportRecord, origin: string): ExportOut {
  return {
    id: e.id,
    webhook_id: e.webhook_id,
    status: e.status,
    rows: e.rows,
    filters: { from: iso(e.filters.from), to: iso(e.filters.to)!, status: e.filters.status ?? null, event: e.filters.event ?? null },
    download_url: e.status === "done" ? `${origin}/v1/exports/${e.id}/download` : null,
    error: e.error,
    created_at: iso(e.created_at)!,
    expires_at: iso(e.expires_at)!,
  };
}

/** "<webhook name slug>-logs-<date>.csv": ASCII only, so it needs no encoding in the header. */
export function exportFileName(webhookName: string, createdAt: number): string {
  const slug = webhookName
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "");
  return `${slug || "webhook"}-logs-${new Date(createdAt).toISOString().slice(0, 10)}.csv`;
}

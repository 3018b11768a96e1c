/**
 * "Export logs as CSV": the export runs on the service; this shows its progress until the file
 * is ready, then offers it as a download (fetched with the API key, so no key in a URL).
 */
import { api, ApiFailure, download } from "./api";
import { h, replace } from "./dom";
import type { Export } from "./types";

const POLL_MS = 500;

export async function exportCsv(webhookId: string, filters: Record<string, string>, panel: HTMLElement, signal: AbortSignal): Promise<void> {
  const bar = h("progress", { "aria-label": "Export progress" });
  const text = h("span", null, "Starting the export…");
  replace(panel, h("div", { class: "export-progress" }, bar, text));
  try {
    let e = await api<Export>("POST", `/v1/webhooks/${webhookId}/logs/export`, filters);
    while (e.status === "pending" || e.status === "running") {
      text.textContent = e.status === "pending" ? "Export queued…" : `Exporting… ${e.rows} rows so far`;
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (signal.aborted) return;
      e = await api<Export>("GET", `/v1/exports/${e.id}`);
    }
    if (e.status === "failed") {
      replace(panel, h("p", { class: "result bad" }, `❌ The export failed: ${e.error ?? "unknown error"}. Try again.`));
      return;
    }
    text.textContent = `Preparing the download of ${e.rows} rows…`;
    const file = await download(`/v1/exports/${e.id}/download`);
    if (signal.aborted) return;
    const href = URL.createObjectURL(file.blob);
    signal.addEventListener("abort", () => URL.revokeObjectURL(href));
    const link = h("a", { class: "button primary", href, download: file.filename }, `Download CSV (${e.rows} rows)`);
    replace(panel, h("p", { class: "result ok" }, `✅ Export ready: ${file.filename}`), link);
    link.focus();
  } catch (err) {
    replace(panel, h("p", { class: "result bad" }, `❌ ${err instanceof ApiFailure ? err.message : String(err)}`));
  }
}

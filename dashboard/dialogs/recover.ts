/**
 * "Recover": re-send, once each, the deliveries created in a date range that ended Failed or
 * Skipped (POST /v1/webhooks/{id}/recover), and follow the job's progress until it is done.
 * The range is in the browser's local time; the API gets ISO instants.
 */
import { api, ApiFailure } from "../api";
import { busyButton, field, h, replace } from "../dom";
import { showFieldErrors } from "../form/errors";
import type { Webhook } from "../types";
import { modal } from "./modal";

interface Recovery {
  id: string;
  status: "pending" | "running" | "done" | "failed";
  total: number;
  sent: number;
  error: string | null;
}

const POLL_MS = 1000;
const DAY_MS = 86_400_000;

/** A datetime-local value (local time, to the minute) for an instant. */
const localInput = (at: number) => {
  const d = new Date(at - new Date(at).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};
const instant = (value: string) => (value ? new Date(value).toISOString() : undefined);

export function describeRecovery(r: Recovery): { ok: boolean | null; text: string } {
  const of = `${r.sent} of ${r.total} re-sent`;
  switch (r.status) {
    case "pending":
      return { ok: null, text: `Queued… ${r.total} to re-send` };
    case "running":
      return { ok: null, text: `Re-sending… ${of}` };
    case "done":
      return { ok: true, text: r.total === 0 ? "✅ Nothing to re-send in this range" : `✅ Done: ${of}` };
    case "failed":
      return { ok: false, text: `❌ Stopped: ${of}. ${r.error ?? ""}`.trim() };
  }
}

export async function openRecoverDialog(webhook: Webhook): Promise<void> {
  const now = Date.now();
  const since = h("input", { type: "datetime-local", name: "since", "data-path": "since", required: true, value: localInput(now - DAY_MS) });
  const until = h("input", { type: "datetime-local", name: "until", "data-path": "until", value: "" });
  const progress = h("div", { class: "recover-progress", role: "status", "aria-live": "polite" });
  const form = h("form", { on: { submit: (e) => e.preventDefault() } }, field("From", since), field("To", until, "Leave empty for now"));
  const m = modal(
    `Recover ${webhook.name}`,
    h("p", null, "Re-send, once each, the deliveries created in this range that ended Failed or Skipped. Each gets one more attempt now; those that arrived since are not sent again."),
    form,
    progress,
  );
  let open = true;
  void m.closed.then(() => (open = false));

  async function follow(r: Recovery) {
    const bar = h("progress", { "aria-label": "Recovery progress", max: String(Math.max(r.total, 1)), value: String(r.sent) });
    const text = h("span");
    replace(progress, bar, text);
    for (;;) {
      const d = describeRecovery(r);
      bar.max = Math.max(r.total, 1);
      bar.value = r.status === "done" && r.total === 0 ? 1 : r.sent;
      text.textContent = d.text;
      text.className = d.ok === null ? "" : d.ok ? "result ok" : "result bad";
      if (r.status === "done" || r.status === "failed" || !open) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      r = await api<Recovery>("GET", `/v1/webhooks/${webhook.id}/recoveries/${r.id}`);
    }
  }

  const start = busyButton("Start recovery", async () => {
    showFieldErrors(form, []);
    try {
      const r = await api<Recovery>("POST", `/v1/webhooks/${webhook.id}/recover`, { since: instant(since.value), until: instant(until.value) });
      // Started: the dialog now follows it (a second press would only answer the same one).
      start.remove();
      close.focus();
      await follow(r);
    } catch (err) {
      if (err instanceof ApiFailure) showFieldErrors(form, err.details);
      replace(progress, h("p", { class: "result bad" }, err instanceof ApiFailure ? err.message : String(err)));
    }
  }, { class: "primary" });
  const close = h("button", { type: "button", on: { click: () => m.close() } }, "Close");
  m.footer.append(close, start);
  since.focus();
  await m.closed;
}

/**
 * "Testing a Webhook": pick an event, Send Test Event, and read the result as the product
 * document words it (success with the time, failed with the status, TLS, timeout).
 */
import { api, ApiFailure } from "../api";
import { eventTypes } from "../catalogue";
import { append, busyButton, field, h, replace } from "../dom";
import type { TestResult, Webhook } from "../types";
import { modal } from "./modal";

const CHECK_EVENT = "verification.check";

export function describeResult(r: TestResult): { ok: boolean; headline: string; detail: string | null } {
  const seconds = Number(((r.response_time_ms ?? 0) / 1000).toFixed(1));
  switch (r.result) {
    case "success":
      return { ok: true, headline: `✅ Success (${r.response_time_ms ?? "?"}ms) - Webhook endpoint responded correctly`, detail: null };
    case "failed": {
      const code = r.status_code;
      const kind = code === null ? "No valid answer" : code >= 500 ? "Server error" : code >= 400 ? "Client error" : "Unexpected answer";
      return { ok: false, headline: `❌ Failed${code === null ? "" : ` (HTTP ${code})`} - ${kind}`, detail: r.error };
    }
    case "tls_error":
      return { ok: false, headline: "❌ TLS verification failed - Certificate issue", detail: r.error };
    case "timeout":
      return { ok: false, headline: `⏱️ Timeout (${seconds}s) - Endpoint too slow`, detail: r.error };
    case "connection_error":
      return { ok: false, headline: "❌ Connection failed - Endpoint not reachable", detail: r.error };
  }
}

export async function openTestDialog(webhook: Webhook): Promise<void> {
  const select = h("select", { name: "event" });
  if (webhook.type === "verification_check") {
    select.append(h("option", { value: CHECK_EVENT }, `${CHECK_EVENT} (a sample verification check)`));
  } else {
    // The webhook's own events first: those are what it will receive.
    const types = await eventTypes();
    const own = types.filter((t) => webhook.events.includes(t.name));
    const others = types.filter((t) => !webhook.events.includes(t.name));
    append(select, [
      h("optgroup", { label: "Subscribed" }, own.map((t) => h("option", { value: t.name }, t.name))),
      others.length > 0 && h("optgroup", { label: "Other events" }, others.map((t) => h("option", { value: t.name }, t.name))),
    ]);
    if (webhook.events.includes("verification.completed")) select.value = "verification.completed";
  }
  const result = h("div", { class: "test-result", role: "status", "aria-live": "polite" });
  const m = modal(`Test ${webhook.name}`, h("p", null, "Send a signed sample event to ", h("code", null, webhook.url), " now. It is marked as a test and not retried."), field("Event type", select), result);

  const send = busyButton("Send Test Event", async () => {
    replace(result, h("p", { class: "muted" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Sending…"));
    try {
      const r = await api<TestResult>("POST", `/v1/webhooks/${webhook.id}/test`, { event: select.value });
      const d = describeResult(r);
      replace(result, h("p", { class: d.ok ? "result ok" : "result bad" }, d.headline), d.detail && h("p", { class: "muted" }, d.detail));
    } catch (err) {
      replace(result, h("p", { class: "result bad" }, err instanceof ApiFailure ? err.message : String(err)));
    }
  }, { class: "primary" });
  m.footer.append(h("button", { type: "button", on: { click: () => m.close() } }, "Close"), send);
  select.focus();
  await m.closed;
}

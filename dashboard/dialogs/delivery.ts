/**
 * A delivery's detail, opened from a log row: the payload exactly as sent, then every attempt
 * with its request (headers as sent, credentials masked by the API) and its response or error;
 * and Resend, one more attempt now with the same delivery id and the current secret.
 */
import { api, ApiFailure } from "../api";
import { busyButton, h, replace } from "../dom";
import { ms, when } from "../format";
import type { Webhook } from "../types";
import { modal } from "./modal";

interface Attempt {
  id: string;
  attempt: number;
  status: string;
  timestamp: string;
  request: { method: string; url: string; headers: Record<string, string> } | null;
  response: { status_code: number; content_type: string | null; body: string | null; response_time_ms: number | null } | null;
  error_code: string | null;
  error: string | null;
}

interface Delivery {
  id: string;
  event_id: string;
  event: string;
  status: string;
  attempts: number;
  test: boolean;
  body: string | null;
  log: Attempt[];
}

/** The payload indented for reading when it is JSON; the bytes sent are the API's `body`. */
function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

const pairs = (entries: [string, string | number | null][]) =>
  h("dl", { class: "details" }, entries.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v === null ? "—" : String(v))]));

function attemptView(a: Attempt): HTMLElement {
  return h(
    "section",
    { class: "attempt", "data-attempt": String(a.attempt) },
    h("h3", null, `Attempt ${a.attempt}: `, h("span", { class: `badge ${a.status}` }, a.status), " ", h("time", { datetime: a.timestamp, class: "muted small" }, when(a.timestamp))),
    a.request
      ? h("div", null, h("h4", null, "Request"), h("p", null, h("code", null, `${a.request.method} ${a.request.url}`)), pairs(Object.entries(a.request.headers)))
      : h("p", { class: "muted" }, "Nothing was sent."),
    a.response
      ? h(
          "div",
          null,
          h("h4", null, "Response"),
          pairs([["Status", a.response.status_code], ["Content type", a.response.content_type], ["Time", ms(a.response.response_time_ms)]]),
          a.response.body !== null && h("pre", { class: "response-body" }, a.response.body),
        )
      : h("p", { class: "muted" }, "No response."),
    a.error && h("p", { class: "error-text" }, `${a.error_code ?? "error"}: ${a.error}`),
  );
}

export async function openDeliveryDialog(webhook: Webhook, deliveryId: string): Promise<void> {
  const path = `/v1/webhooks/${webhook.id}/deliveries/${deliveryId}`;
  const content = h("div", { class: "delivery" }, h("p", { class: "muted" }, "Loading…"));
  const outcome = h("div", { role: "status", "aria-live": "polite" });
  const m = modal(`Delivery ${deliveryId}`, content, outcome);

  async function load() {
    try {
      const d = await api<Delivery>("GET", path);
      replace(
        content,
        pairs([["Event", `${d.event} (${d.event_id})`], ["Status", d.status], ["Attempts", d.attempts]]),
        h("h3", null, "Payload"),
        d.body === null ? h("p", { class: "muted" }, "A test event's or check's payload is not stored.") : h("pre", { class: "payload" }, pretty(d.body)),
        d.log.map(attemptView),
      );
    } catch (err) {
      replace(content, h("p", { class: "result bad" }, err instanceof ApiFailure ? err.message : String(err)));
    }
  }

  const resend = busyButton("Resend", async () => {
    try {
      const r = await api<{ delivery_id: string; attempt: number }>("POST", `${path}/resend`);
      replace(outcome, h("p", { class: "result ok" }, `Resent: attempt ${r.attempt} is on its way.`));
    } catch (err) {
      // The API says what to do: wait for a pending delivery, activate or resume the webhook.
      replace(outcome, h("p", { class: "result bad" }, err instanceof ApiFailure ? err.message : String(err)));
    }
    await load();
  }, { class: "primary" });
  m.footer.append(h("button", { type: "button", on: { click: () => m.close() } }, "Close"), resend);
  await load();
}

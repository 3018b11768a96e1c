/** Step 6: Review & Create — every setting as it will be sent. */
import { h } from "../dom";
import { TYPE_LABEL } from "../format";
import { describeSchedule } from "./retry-schedule";
import type { FormState } from "./state";

export function reviewSection(s: FormState): HTMLElement {
  const row = (label: string, value: Node | string) => [h("dt", null, label), h("dd", null, value)];
  const enabledHeaders = s.headers.filter((hd) => hd.name.trim() !== "");
  return h(
    "div",
    { class: "section" },
    h(
      "dl",
      { class: "review" },
      row("Webhook Type", TYPE_LABEL[s.type]),
      row("Name", s.name),
      row("Description", s.description || "—"),
      row("Webhook URL", h("code", null, s.url)),
      row("HTTP Method", s.method),
      row("CA certificate", s.pem ? (s.pemFile || "Pasted PEM") : "None (can be added later)"),
      row("Webhook secret", s.secret ? "Set (hidden)" : "Generated when created, shown once"),
      row("Custom headers", enabledHeaders.length ? h("ul", null, enabledHeaders.map((hd) => h("li", null, h("code", null, hd.name), hd.enabled ? "" : " (disabled)"))) : "None"),
      s.type === "event_notification"
        ? [row("Events", h("ul", { class: "events" }, s.events.map((e) => h("li", null, h("code", null, e))))), row("Retries", describeSchedule(s.retrySchedule))]
        : row(
            "Criteria",
            `success field ${s.criteria.require_success ? "required" : "not required"}, score field ${s.criteria.require_score ? "required" : "not required"}, minimum ${s.criteria.min_score}; ` +
              `request schema ${s.criteria.request_schema.trim() ? "set" : "none"}, response schema ${s.criteria.response_schema.trim() ? "set" : "none"}`,
          ),
    ),
    h("p", { class: "muted" }, "The webhook is created with status Inactive. To activate it, click Activate on its row."),
  );
}

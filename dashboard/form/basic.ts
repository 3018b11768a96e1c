/** Step 1: Basic Information (type, name, description, URL, method). The type is fixed once created. */
import { field, h } from "../dom";
import { TYPE_LABEL } from "../format";
import type { Method, WebhookType } from "../types";
import type { FormState } from "./state";

const TYPE_HINT: Record<WebhookType, string> = {
  event_notification: "Receive notifications when system events occur.",
  verification_check: "Custom verification checks that call your external service.",
};

function typeChoice(s: FormState): HTMLElement {
  return h(
    "fieldset",
    { class: "choices", "data-path": "type" },
    h("legend", null, "Webhook Type"),
    (Object.keys(TYPE_LABEL) as WebhookType[]).map((type) =>
      h(
        "div",
        { class: "check" },
        h("input", {
          type: "radio",
          name: "type",
          id: `type-${type}`,
          value: type,
          checked: s.type === type,
          "aria-describedby": `type-${type}-hint`,
          on: { change: () => (s.type = type) },
        }),
        h("label", { for: `type-${type}` }, TYPE_LABEL[type]),
        h("p", { class: "hint", id: `type-${type}-hint` }, TYPE_HINT[type]),
      ),
    ),
  );
}

export function basicSection(s: FormState, mode: "create" | "edit"): HTMLElement {
  const text = (key: "name" | "url", props: Record<string, unknown>) =>
    h("input", { ...props, name: key, value: s[key], "data-path": key, on: { input: (e) => (s[key] = (e.target as HTMLInputElement).value) } });
  return h(
    "div",
    { class: "section" },
    mode === "create"
      ? typeChoice(s)
      : h("div", { class: "field" }, h("span", { class: "label" }, "Webhook Type"), h("p", { class: "fixed" }, TYPE_LABEL[s.type], h("span", { class: "muted" }, " (cannot be changed)"))),
    field("Name", text("name", { type: "text", required: true, maxlength: "200", placeholder: "Production Webhook" }), 'A descriptive name, e.g. "Production Webhook".'),
    field(
      "Description (optional)",
      h("textarea", { name: "description", rows: "2", maxlength: "2000", "data-path": "description", value: s.description, on: { input: (e) => (s.description = (e.target as HTMLTextAreaElement).value) } }),
      "Purpose and use case.",
    ),
    field("Webhook URL", text("url", { type: "url", required: true, placeholder: "https://api.myapp.com/webhooks/nafsi", inputmode: "url" }), "HTTPS endpoint that receives the webhooks. It must answer within 30 seconds with a 2xx status."),
    field(
      "HTTP Method",
      h(
        "select",
        { name: "method", "data-path": "method", on: { change: (e) => (s.method = (e.target as HTMLSelectElement).value as Method) } },
        (["POST", "PUT", "PATCH"] as const).map((m) => h("option", { value: m, selected: s.method === m }, m)),
      ),
    ),
  );
}

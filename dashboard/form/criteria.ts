/** Step 5: Verification Criteria, with optional request and response schemas (Verification Check webhooks only). */
import { field, h } from "../dom";
import type { FormState } from "./state";

export function criteriaSection(s: FormState): HTMLElement {
  if (s.type !== "verification_check") {
    return h("div", { class: "section" }, h("p", { class: "muted" }, "Verification criteria apply to Verification Check webhooks only."));
  }
  const c = s.criteria;
  const toggle = (key: "require_success" | "require_score", label: string, hint: string) =>
    h(
      "div",
      { class: "check switch" },
      h("input", { type: "checkbox", role: "switch", id: `criteria-${key}`, checked: c[key], "data-path": `criteria.${key}`, "aria-describedby": `criteria-${key}-hint`, on: { change: (e) => (c[key] = (e.target as HTMLInputElement).checked) } }),
      h("label", { for: `criteria-${key}` }, label),
      h("p", { class: "hint", id: `criteria-${key}-hint` }, hint),
    );
  const schema = (key: "request_schema" | "response_schema", label: string, hint: string) =>
    field(
      label,
      h("textarea", { rows: "5", class: "mono", spellcheck: "false", placeholder: '{"type": "object", "required": ["success"]}', "data-path": `criteria.${key}`, value: c[key], on: { input: (e) => (c[key] = (e.target as HTMLTextAreaElement).value) } }),
      hint,
    );
  return h(
    "div",
    { class: "section" },
    h("p", null, "Define what a passing answer from your verification service looks like."),
    toggle("require_success", "Require Success Field", "The response must include success: true."),
    toggle("require_score", "Require Score Field", "The response must include a confidence score."),
    field(
      "Minimum Threshold",
      h("input", { type: "number", min: "0", max: "1", step: "0.01", inputmode: "decimal", value: c.min_score, "data-path": "criteria.min_score", on: { input: (e) => (c.min_score = (e.target as HTMLInputElement).value) } }),
      "Minimum score for a pass, from 0.0 to 1.0.",
    ),
    schema("request_schema", "Request Schema (optional)", "A JSON Schema for the JSON sent to your webhook."),
    schema("response_schema", "Response Schema (optional)", "A JSON Schema for the JSON your webhook answers with."),
  );
}

/** The webhook secret (optional but recommended): signs every payload (X-Nafsi-Signature). */
import { field, h } from "../dom";
import type { FormState } from "./state";

export function secretSection(s: FormState, hint: string | null): HTMLElement {
  const input = h("input", {
    type: "password",
    name: "secret",
    autocomplete: "new-password",
    spellcheck: "false",
    minlength: "16",
    maxlength: "256",
    placeholder: hint ? "Leave empty to keep the current secret" : "Leave empty to have one generated",
    "data-path": "secret",
    value: s.secret,
    on: { input: (e) => (s.secret = (e.target as HTMLInputElement).value) },
  });
  const show = h("input", { type: "checkbox", id: "show-secret", on: { change: (e) => (input.type = (e.target as HTMLInputElement).checked ? "text" : "password") } });
  return h(
    "div",
    { class: "section" },
    h("p", null, "The secret signs every payload with HMAC-SHA256, so that your endpoint can check it came from Nafsi."),
    hint && h("p", null, "Current secret ends in ", h("code", null, hint), ". Enter a new one to replace it."),
    field(
      hint ? "New webhook secret (optional)" : "Webhook secret (optional but recommended)",
      input,
      hint ? "At least 16 characters." : "At least 16 characters, e.g. sk_webhook_abc123xyz789. Left empty, a secret is generated and shown once when the webhook is created.",
    ),
    h("div", { class: "check" }, show, h("label", { for: "show-secret" }, "Show the secret")),
  );
}

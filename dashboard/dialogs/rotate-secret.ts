/**
 * "Rotate secret" (POST /v1/webhooks/{id}/secret/rotate): a new secret, with an overlap during
 * which deliveries carry both signatures so the endpoint can switch at leisure; or none, for a
 * secret that leaked. The new secret is shown once, here.
 */
import { api, ApiFailure } from "../api";
import { busyButton, field, h, replace } from "../dom";
import { showFieldErrors } from "../form/errors";
import { when } from "../format";
import type { Webhook } from "../types";
import { modal } from "./modal";

interface Rotation {
  secret: string;
  secret_hint: string;
  previous_secret_expires_at: string;
}

/** The API's default (a day) first; none is for a leaked secret. */
const OVERLAPS: [seconds: number, label: string][] = [
  [86_400, "24 hours (recommended)"],
  [3_600, "1 hour"],
  [259_200, "3 days"],
  [604_800, "7 days (the longest)"],
  [0, "None: the current secret stops at once (it leaked)"],
];

/** Resolves to a sentence for the edit screen once a rotation is done, or null when cancelled. */
export async function openRotateDialog(webhook: Webhook): Promise<string | null> {
  const overlap = h("select", { name: "overlap_seconds", "data-path": "overlap_seconds" }, OVERLAPS.map(([s, label]) => h("option", { value: String(s) }, label)));
  const secret = h("input", { type: "password", name: "secret", "data-path": "secret", autocomplete: "new-password", spellcheck: "false", placeholder: "Leave empty to have one generated" });
  const form = h(
    "form",
    { on: { submit: (e) => e.preventDefault() } },
    field("Overlap", overlap, "How long the current secret goes on signing beside the new one. Deliveries then carry both signatures: X-Nafsi-Signature with the current secret, X-Nafsi-Signature-Next with the new one."),
    field("New secret (optional)", secret, "At least 16 characters; empty: a whsec_ secret is generated."),
  );
  const result = h("div", { role: "status", "aria-live": "polite" });
  const m = modal(
    `Rotate the secret of ${webhook.name}`,
    h("p", null, "The current secret ends in ", h("code", null, webhook.secret_hint), "."),
    form,
    result,
  );
  let done: string | null = null;

  const rotate = busyButton("Rotate secret", async () => {
    showFieldErrors(form, []);
    try {
      const r = await api<Rotation>("POST", `/v1/webhooks/${webhook.id}/secret/rotate`, {
        overlap_seconds: Number(overlap.value),
        ...(secret.value ? { secret: secret.value } : {}),
      });
      const immediate = overlap.value === "0";
      done = immediate
        ? `The secret was rotated: only the new one (ending in ${r.secret_hint}) signs from now on.`
        : `The secret was rotated: both sign until ${when(r.previous_secret_expires_at)}, then only the new one (ending in ${r.secret_hint}).`;
      form.remove();
      rotate.remove();
      const shown = h("input", { type: "text", readOnly: true, value: r.secret, class: "mono", spellcheck: "false" });
      const copy = busyButton("Copy", async () => navigator.clipboard.writeText(r.secret).catch(() => shown.select()));
      replace(
        result,
        h("p", { class: "result ok" }, "✅ ", done),
        field("New secret", shown, "Shown this once: copy it to your endpoint now. It cannot be shown again."),
        copy,
      );
      shown.focus();
      shown.select();
    } catch (err) {
      if (err instanceof ApiFailure) showFieldErrors(form, err.details);
      replace(result, h("p", { class: "result bad" }, err instanceof ApiFailure ? err.message : String(err)));
    }
  }, { class: "primary" });
  m.footer.append(h("button", { type: "button", on: { click: () => m.close() } }, "Close"), rotate);
  overlap.focus();
  await m.closed;
  return done;
}

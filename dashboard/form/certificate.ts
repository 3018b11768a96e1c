/**
 * Step 2: Authentication (mTLS). Choose the CA certificate file (PEM), or paste it, and
 * "Validate Certificate": format, expiry and a TLS handshake with the webhook URL.
 */
import { ApiFailure } from "../api";
import { busyButton, field, h, replace } from "../dom";
import type { CertificateDetails, CertificateValidation } from "../types";
import type { FormState } from "./state";

export function certificateSummary(c: CertificateDetails): HTMLElement {
  return h(
    "dl",
    { class: "details" },
    h("dt", null, "Subject"), h("dd", null, c.subject),
    h("dt", null, "Issuer"), h("dd", null, c.issuer),
    h("dt", null, "Expires"), h("dd", null, `${new Date(c.not_after).toISOString().slice(0, 10)} (in ${c.expires_in_days} days)${c.expiry_warning ? " — renew it soon" : ""}`),
    h("dt", null, "SHA-256"), h("dd", { class: "mono" }, c.fingerprint_sha256),
  );
}

/** The validation response as the product document shows it, with what failed spelled out. */
export function validationResult(v: CertificateValidation): HTMLElement {
  const checks = [
    v.details
      ? h("li", { class: "ok" }, "✅ Format: PEM certificate")
      : h("li", { class: "bad" }, "❌ Format: not a usable certificate"),
    v.expires_in_days !== null &&
      h("li", { class: v.expires_in_days < 0 ? "bad" : "ok" }, v.expires_in_days < 0 ? `❌ Expired ${-v.expires_in_days} days ago` : `✅ Expires in ${v.expires_in_days} days`),
    v.expiry_warning !== null && h("li", { class: v.expiry_warning ? "warn" : "ok" }, v.expiry_warning ? "⚠️ Expiry warning: renew it soon" : "✅ No expiry warning"),
    h("li", { class: v.handshake.ok ? "ok" : "bad" }, v.handshake.ok ? "✅ TLS handshake with the webhook URL succeeded" : `❌ TLS handshake: ${v.handshake.error}`),
  ];
  return h(
    "div",
    { class: `validation ${v.valid ? "ok" : "bad"}` },
    h("p", { class: "result" }, v.valid ? "✅ Certificate valid" : "❌ Certificate not valid"),
    h("ul", { class: "checks" }, checks),
    v.details && certificateSummary(v.details),
  );
}

export interface CertificateOptions {
  /** The certificate already stored (edit), shown above the chooser. */
  stored?: CertificateDetails | null;
  /** Removes the stored certificate (edit): a button next to it. */
  remove?: () => Promise<void>;
  /** Validates state.pem (or the stored one when empty); may throw ApiFailure with field errors. */
  validate: () => Promise<CertificateValidation>;
  note?: HTMLElement | null;
}

export function certificateSection(s: FormState, opts: CertificateOptions): HTMLElement {
  const result = h("div", { class: "validation-result", role: "status", "aria-live": "polite" });
  const chosen = h("p", { class: "muted", "aria-live": "polite" }, s.pemFile ? `Chosen: ${s.pemFile}` : "");
  const pem = h("textarea", {
    name: "pem",
    rows: "6",
    class: "mono",
    spellcheck: "false",
    placeholder: "-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----",
    "data-path": "pem",
    value: s.pem,
    on: { input: (e) => ((s.pem = (e.target as HTMLTextAreaElement).value), (s.pemFile = "")) },
  });
  const file = h("input", {
    type: "file",
    name: "certificate_file",
    accept: ".pem,.crt,.cer,application/x-pem-file,application/x-x509-ca-cert",
    on: {
      change: async (e) => {
        const f = (e.target as HTMLInputElement).files?.[0];
        if (!f) return;
        s.pem = await f.text();
        s.pemFile = f.name;
        pem.value = s.pem;
        chosen.textContent = `Chosen: ${f.name}`;
      },
    },
  });
  const validate = busyButton("Validate Certificate", async () => {
    replace(result, h("p", { class: "muted" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Validating…"));
    try {
      replace(result, validationResult(await opts.validate()));
    } catch (err) {
      replace(result, h("p", { class: "result bad" }, `❌ ${err instanceof ApiFailure ? err.message : String(err)}`));
    }
  });
  return h(
    "div",
    { class: "section" },
    h("p", null, "All webhooks use mTLS: your server and Nafsi verify each other, and all communication is encrypted. Upload your CA certificate in PEM format."),
    opts.stored !== undefined &&
      h(
        "div",
        { class: "stored" },
        h("h3", null, "Current certificate"),
        opts.stored ? certificateSummary(opts.stored) : h("p", { class: "muted" }, "None uploaded."),
        opts.stored && opts.remove && h("div", { class: "actions left" }, busyButton("Remove certificate", opts.remove, { class: "danger" })),
      ),
    field(opts.stored ? "Replace with CA certificate (PEM file)" : "CA certificate (PEM file)", file, "Choose File: a .pem or .crt file. DER files must be converted to PEM first."),
    chosen,
    field("Or paste the certificate", pem),
    opts.note ?? null,
    h("div", { class: "actions left" }, validate),
    result,
  );
}

/** The secret finder the secrets tests rely on (test/helpers/secret-forms.ts): known answers. */
import { describe, expect, it } from "vitest";
import { findSecrets, secretForms } from "./helpers/secret-forms";

describe("secretForms (known answers)", () => {
  it("finds a secret hidden at any offset inside longer base64, base64url and hex", () => {
    const secret = "sk_webhook_abc123xyz789";
    for (let lead = 0; lead < 6; lead++) {
      for (let tail = 0; tail < 4; tail++) {
        const blob = new TextEncoder().encode(`${"~".repeat(lead)}${secret}${"?".repeat(tail)}`);
        const b64 = btoa(String.fromCharCode(...blob));
        const hex = [...blob].map((b) => b.toString(16).padStart(2, "0")).join("");
        for (const text of [b64, b64.replace(/\+/g, "-").replace(/\//g, "_"), hex, `x${hex.toUpperCase()}`]) {
          expect(findSecrets({ s: secret }, [["blob", text]]).length, `${lead}/${tail}: ${text}`).toBeGreaterThan(0);
        }
      }
    }
    expect(findSecrets({ s: secret }, [["other", btoa([...secret].reverse().join(""))], ["hex", "736b5f"]])).toEqual([]);
  });

  it("knows a whsec_ secret also as its decoded signing key", () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const keyHex = [...atob(secret.slice(6))].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
    expect(secretForms(secret).map((f) => f.text)).toContain(keyHex);
  });
});

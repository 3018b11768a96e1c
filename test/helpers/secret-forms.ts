/**
 * The spellings a secret can take when it leaks: as it is, percent-encoded, hex of its bytes,
 * and base64 / base64url. Base64 of a secret inside a longer value depends on where the secret
 * starts (its offset modulo 3), so each of the three alignments contributes the characters that
 * only the secret's bytes determine. A `whsec_` secret also leaks as its decoded key bytes.
 * Plain functions (no Workers imports): used in the test pool and in Node system tests.
 */
const bytesOf = (text: string) => new TextEncoder().encode(text);
const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const b64url = (text: string) => text.replace(/\+/g, "-").replace(/\//g, "_");

/** The base64 characters fixed by `bytes` alone, for each of the 3 alignments it can start at. */
function base64Cores(bytes: Uint8Array): string[] {
  const cores: string[] = [];
  for (let lead = 0; lead < 3; lead++) {
    const padded = new Uint8Array(lead + bytes.length);
    padded.set(bytes, lead);
    const text = b64(padded).replace(/=+$/, "");
    // Leading characters mix in the bytes before the secret; trailing ones the bytes after it.
    const start = lead === 0 ? 0 : Math.ceil((lead * 8) / 6);
    const end = Math.floor(((lead + bytes.length) * 8) / 6);
    cores.push(text.slice(start, end));
  }
  return cores;
}

export interface SecretForm {
  form: string;
  text: string;
}

export function secretForms(secret: string): SecretForm[] {
  const raw = bytesOf(secret);
  const forms: SecretForm[] = [
    { form: "raw", text: secret },
    { form: "percent-encoded", text: encodeURIComponent(secret) },
    { form: "hex", text: hex(raw) },
    { form: "HEX", text: hex(raw).toUpperCase() },
    ...base64Cores(raw).flatMap((core, i) => [
      { form: `base64@${i}`, text: core },
      { form: `base64url@${i}`, text: b64url(core) },
    ]),
  ];
  if (secret.startsWith("whsec_")) {
    const key = Uint8Array.from(atob(secret.slice(6)), (c) => c.charCodeAt(0));
    forms.push({ form: "signing key hex", text: hex(key) }, { form: "signing key HEX", text: hex(key).toUpperCase() });
    forms.push(...base64Cores(key).map((core, i) => ({ form: `signing key base64url@${i}`, text: b64url(core) })));
  }
  // A form shorter than this would match by chance; the secrets of the tests are all longer.
  return forms.filter((f, i) => f.text.length >= 12 && forms.findIndex((g) => g.text === f.text) === i);
}

export interface Hit {
  secret: string;
  form: string;
  where: string;
  context: string;
}

/** Every secret, in every form, in every haystack (name → text). */
export function findSecrets(secrets: Record<string, string>, haystacks: Iterable<[string, string]>): Hit[] {
  const hits: Hit[] = [];
  const all = Object.entries(secrets).map(([name, s]) => [name, secretForms(s)] as const);
  for (const [where, text] of haystacks) {
    for (const [name, forms] of all) {
      for (const f of forms) {
        const at = text.indexOf(f.text);
        if (at >= 0) hits.push({ secret: name, form: f.form, where, context: text.slice(Math.max(0, at - 60), at + f.text.length + 60) });
      }
    }
  }
  return hits;
}

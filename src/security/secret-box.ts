import { fromBase64, toBase64, utf8 } from "../lib/encoding";

/**
 * AES-256-GCM encryption of webhook secrets and custom header lists at rest. The stored form is
 * `v1.<base64 iv>.<base64 ciphertext+tag>`; the version names the key so it can be rotated.
 * A wrong or missing key throws: a delivery is never sent unsigned.
 */
/**
 * Imported keys, kept as keys rather than as the promises of their import: a request must not
 * await a promise another request started (src/db/fanout-cache.ts says what that did to ingest).
 * Requests that find none at once each import it; the import is cheap.
 */
const keys = new Map<string, CryptoKey>();

async function importKey(raw: string): Promise<CryptoKey> {
  const kept = keys.get(raw);
  if (kept) return kept;
  const bytes = fromBase64(raw);
  if (bytes.length !== 32) throw new Error("SECRET_ENCRYPTION_KEY must be 32 bytes, base64-encoded");
  const key = await crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
  keys.set(raw, key);
  return key;
}

export async function seal(keyB64: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await importKey(keyB64), utf8.encode(plaintext));
  return `v1.${toBase64(iv)}.${toBase64(ct)}`;
}

export async function open(keyB64: string, sealed: string): Promise<string> {
  const [version, iv, ct] = sealed.split(".");
  if (version !== "v1" || !iv || !ct) throw new Error("unrecognised sealed value");
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(iv) }, await importKey(keyB64), fromBase64(ct));
  return new TextDecoder().decode(pt);
}

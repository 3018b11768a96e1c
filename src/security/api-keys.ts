import { sha256Hex, toBase64, utf8 } from "../lib/encoding";

/** 32 random bytes, URL-safe base64, with a prefix that secret scanners can recognise. */
export function generateApiKey(): string {
  const raw = toBase64(crypto.getRandomValues(new Uint8Array(32)));
  return `nfk_${raw.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

/** Keys are high-entropy, so a plain SHA-256 is the right hash (no need for a slow KDF). */
export const hashApiKey = (key: string) => sha256Hex(key);

/** Webhook secrets we generate follow Standard Webhooks: `whsec_` + base64 of 32 random bytes. */
export const generateWebhookSecret = () => `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;

/** Constant-time comparison for bearer tokens (the runtime's; only the length can differ fast). */
export function timingSafeEqual(a: string, b: string): boolean {
  const ea = utf8.encode(a);
  const eb = utf8.encode(b);
  if (ea.byteLength !== eb.byteLength) return false;
  return crypto.subtle.timingSafeEqual(ea, eb);
}

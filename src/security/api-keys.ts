import { sha256Hex, toBase64 } from "../lib/encoding";

/** 32 random bytes, URL-safe base64, with a prefix that secret scanners can recognise. */
export function generateApiKey(): string {
  const raw = toBase64(crypto.getRandomValues(new Uint8Array(32)));
  return `nfk_${raw.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

/** Keys are high-entropy, so a plain SHA-256 is the right hash (no need for a slow KDF). */
export const hashApiKey = (key: string) => sha256Hex(key);

/** Webhook secrets we generate follow Standard Webhooks: `whsec_` + base64 of 32 random bytes. */
export const generateWebhookSecret = () => `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;

/**
 * Constant-time comparison for bearer tokens: every character is compared whatever the first
 * difference, so only the length can differ fast. In JS rather than crypto.subtle.timingSafeEqual:
 * the runtime's call, with the two encodes it needs, was about 3% of an ingest's CPU time for a
 * token of a few dozen characters (bench/profile-ingest.ts).
 */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

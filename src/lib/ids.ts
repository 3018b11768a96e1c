/**
 * Typed, prefixed ids that sort by creation time (like a ULID): 10 characters of millisecond
 * time in Crockford base32, then 16 random ones. Newest-first pagination orders by id alone.
 */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

export type IdPrefix = "org" | "key" | "wh" | "rev" | "dlv" | "att" | "evt" | "exp" | "ntf" | "rcv";

export function newId(prefix: IdPrefix, now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let rand = "";
  for (const b of bytes) rand += ALPHABET[b & 31];
  return `${prefix}_${time}${rand}`;
}

/** A deterministic id: the same inputs always give the same id (idempotent inserts). */
export async function derivedId(prefix: IdPrefix, ...parts: (string | number)[]): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\u0000")));
  let out = "";
  for (const b of new Uint8Array(digest).subarray(0, 20)) out += ALPHABET[b & 31];
  return `${prefix}_${out}`;
}

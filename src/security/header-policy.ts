/**
 * Which custom headers a webhook may add to its deliveries. Names are RFC 7230 tokens; values
 * carry no CR, LF or NUL (no header injection). Names we set ourselves, names for proxies, and
 * names that would break HTTP framing are refused in any letter case.
 */
export const MAX_HEADERS = 20;
export const MAX_HEADER_VALUE_BYTES = 4096;
/**
 * HTTP sets no limit on a name, but receivers cap each header line (nginx at 8 KiB by default) or
 * all of them together (Node at 16 KiB), and registered names stay near 40 characters: 256 fits
 * any real name and keeps a stored name from crowding out the request it rides on.
 */
export const MAX_HEADER_NAME_LENGTH = 256;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const RESERVED_EXACT = new Set([
  "host", "content-length", "transfer-encoding", "connection", "content-type", "user-agent",
  "keep-alive", "upgrade", "te", "trailer", "expect",
]);
const RESERVED_PREFIXES = ["x-nafsi-", "webhook-", "cf-", "x-forwarded-"];
// Proxy-* (Proxy-Authorization, Proxy-Connection, ...) speak to a proxy on the way, not to the
// receiver: deliveries go through none we choose, and a credential there is for whoever sits between.
const PROXY_PREFIX = "proxy-";
/** Our own per-delivery headers (API.md) that do not fall under a prefix above. */
const RESERVED_OURS = new Set(["x-webhook-id", "x-delivery-id", "x-real-ip", "forwarded"]);

export function checkHeaderName(name: string): string | null {
  if (name.length > MAX_HEADER_NAME_LENGTH) return `must be at most ${MAX_HEADER_NAME_LENGTH} characters`;
  if (!TOKEN.test(name)) return "must be an HTTP token (letters, digits and !#$%&'*+-.^_`|~)";
  const lower = name.toLowerCase();
  if (RESERVED_EXACT.has(lower) || RESERVED_OURS.has(lower) || RESERVED_PREFIXES.some((p) => lower.startsWith(p))) {
    return `is set by the webhook service and cannot be overridden`;
  }
  if (lower.startsWith(PROXY_PREFIX)) return "is meant for proxies (Proxy-*), not the receiver, and cannot be set";
  return null;
}

export function checkHeaderValue(value: string): string | null {
  if (/[\r\n\0]/.test(value)) return "must not contain CR, LF or NUL characters";
  if (new TextEncoder().encode(value).length > MAX_HEADER_VALUE_BYTES) return `must be at most ${MAX_HEADER_VALUE_BYTES} bytes`;
  if (isMaskedValue(value)) return null; // a masked value sent back unchanged; the route restores it
  if (/[\u0001-\u0008\u000b-\u001f\u007f]/.test(value)) return "must not contain control characters";
  // RFC 9110 5.5: values should be ASCII. workerd sends anything else as UTF-8 (with a warning),
  // which receivers read in different ways, so it is refused here rather than mangled there.
  if (/[^\t\u0020-\u007e]/.test(value)) return "must contain only printable ASCII characters, spaces or tabs";
  return null;
}

/** Header values that carry credentials are masked in every response. */
export function isCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    lower === "authorization" || lower === "proxy-authorization" || lower === "cookie" ||
    // "-next": a rotation's second signature (X-Nafsi-Signature-Next) is as much a signature as the first.
    /(^|[-_])(key|token|secret|password|passwd|passphrase|signature|auth|authorization|authentication|credentials?)([-_]next)?$/.test(lower) ||
    lower.endsWith("apikey")
  );
}

const MASK = "••••";

/** Short values show nothing of themselves; longer ones their last 4 characters, to tell them apart. */
/** The last 4 characters are shown only of long values, where they are a small share of it. */
export function maskValue(value: string): string {
  return value.length <= 12 ? MASK : `${MASK}${value.slice(-4)}`;
}

/** Is this what `maskValue` shows (so a client echoing a response back means "keep it")? */
export const isMaskedValue = (value: string) => value.startsWith(MASK) && value.length <= MASK.length + 4;

/**
 * Puts stored values back where a client sent a credential header's masked value unchanged
 * (responses never show them). Answers the index of the first masked value that matches no
 * stored credential header of the same name: that one the client must send in full.
 */
export function restoreMaskedHeaders<T extends { name: string; value: string }>(
  sent: T[],
  stored: { name: string; value: string }[],
): { headers: T[] } | { unmatched: number } {
  const old = new Map(stored.map((h) => [h.name.toLowerCase(), h.value]));
  const headers: T[] = [];
  for (const [i, h] of sent.entries()) {
    if (!isMaskedValue(h.value)) {
      headers.push(h);
      continue;
    }
    const value = old.get(h.name.toLowerCase());
    if (value === undefined || !isCredentialHeader(h.name) || maskValue(value) !== h.value) return { unmatched: i };
    headers.push({ ...h, value });
  }
  return { headers };
}

/**
 * Which custom headers a webhook may add to its deliveries. Names are RFC 7230 tokens; values
 * carry no CR, LF or NUL (no header injection). Names we set ourselves, or that would break
 * HTTP framing, are refused in any letter case.
 */
export const MAX_HEADERS = 20;
export const MAX_HEADER_VALUE_BYTES = 4096;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const RESERVED_EXACT = new Set([
  "host", "content-length", "transfer-encoding", "connection", "content-type", "user-agent",
  "keep-alive", "upgrade", "te", "trailer", "proxy-connection", "expect",
]);
const RESERVED_PREFIXES = ["x-nafsi-", "webhook-", "cf-", "x-forwarded-"];
/** Our own per-delivery headers (API.md) that do not fall under a prefix above. */
const RESERVED_OURS = new Set(["x-webhook-id", "x-delivery-id", "x-real-ip", "forwarded"]);

export function checkHeaderName(name: string): string | null {
  if (!TOKEN.test(name)) return "must be an HTTP token (letters, digits and !#$%&'*+-.^_`|~)";
  const lower = name.toLowerCase();
  if (RESERVED_EXACT.has(lower) || RESERVED_OURS.has(lower) || RESERVED_PREFIXES.some((p) => lower.startsWith(p))) {
    return `is set by the webhook service and cannot be overridden`;
  }
  return null;
}

export function checkHeaderValue(value: string): string | null {
  if (/[\r\n\0]/.test(value)) return "must not contain CR, LF or NUL characters";
  if (new TextEncoder().encode(value).length > MAX_HEADER_VALUE_BYTES) return `must be at most ${MAX_HEADER_VALUE_BYTES} bytes`;
  return null;
}

/** Header values that carry credentials are masked in every response. */
export function isCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    lower === "authorization" || lower === "proxy-authorization" || lower === "cookie" ||
    /(^|-)(key|token|secret|password|signature)$/.test(lower) || lower.endsWith("apikey")
  );
}

export function maskValue(value: string): string {
  return value.length <= 8 ? "••••" : `••••${value.slice(-4)}`;
}

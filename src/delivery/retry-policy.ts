/** The product document's schedule ("Retry Logic"): three attempts, immediately, +2 s, +4 s. */
export const MAX_ATTEMPTS = 3;

/** Delay before attempt n+1 after attempt n failed: 2^n seconds (2 s, then 4 s). */
export const retryDelayMs = (attempt: number) => 2 ** attempt * 1000;

/** A receiver's Retry-After is honoured up to this, so the last attempt stays within minutes. */
export const RETRY_AFTER_CAP_MS = 60_000;

/** Why an attempt did not succeed: a closed set, stored on the attempt row, never thrown. */
export type FailureCode =
  | "timeout"
  | "connection"
  | "tls"
  | "http_3xx"
  | "http_4xx"
  | "http_5xx"
  | "url_forbidden"
  | "secret_unavailable"
  | "internal";

export interface Outcome {
  ok: boolean;
  statusCode: number | null;
  responseTimeMs: number | null;
  errorCode: FailureCode | null;
  error: string | null;
  /** Retry-After of a 408 or 429, in ms. */
  retryAfterMs?: number;
  /** What the endpoint answered, as much as the delivery's detail shows (send.ts); absent when it did not answer. */
  response?: ResponseHead;
}

/** An answer's content type and the first RESPONSE_HEAD_BYTES of its body, as text (null when empty). */
export interface ResponseHead {
  contentType: string | null;
  body: string | null;
}

const RETRYABLE: ReadonlySet<FailureCode> = new Set(["timeout", "connection", "http_5xx", "internal"]);

export function isRetryable(o: Outcome): boolean {
  if (o.ok || !o.errorCode) return false;
  if (o.errorCode === "http_4xx") return o.statusCode === 408 || o.statusCode === 429;
  return RETRYABLE.has(o.errorCode);
}

export type Decision = { status: "success" } | { status: "retrying"; delayMs: number } | { status: "failed" };

/** `lastAttempt`: a resent delivery's one more attempt is its last (resend.ts). */
export function decide(o: Outcome, attempt: number, lastAttempt: number | null = null): Decision {
  if (o.ok) return { status: "success" };
  if (attempt >= (lastAttempt ?? MAX_ATTEMPTS) || !isRetryable(o)) return { status: "failed" };
  const scheduled = retryDelayMs(attempt);
  const asked = o.retryAfterMs ?? 0;
  return { status: "retrying", delayMs: Math.max(scheduled, Math.min(asked, RETRY_AFTER_CAP_MS)) };
}

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

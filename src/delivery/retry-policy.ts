/**
 * The product document's schedule ("Retry Logic"): three attempts, immediately, +2 s, +4 s. A
 * webhook may set its own (retry_schedule); this is what it has until then.
 */
export const DEFAULT_RETRY_SCHEDULE: readonly number[] = [2, 4];

/** At most this many retries per delivery: ten waits of up to 12 hours reach past five days. */
export const MAX_RETRIES = 10;

/** The longest wait before a retry: a queue message can be delayed at most 12 hours (Queues limits). */
export const MAX_RETRY_DELAY_S = 43_200;

/**
 * Waits of a minute or more are spread by up to 10% either way. When an endpoint comes back from
 * an outage, every delivery that failed during it would otherwise retry in the same second, and
 * knock it over again; seconds-long waits are left exact, since they cannot spread much and the
 * product document promises 2 s and 4 s.
 */
export const JITTER_FROM_S = 60;
export const JITTER = 0.1;

/**
 * The wait before attempt n+1 after attempt n failed, by the schedule; null when the schedule has
 * no more retries. `random` is Math.random's shape, passed in so the bounds can be tested.
 */
export function retryDelayMs(schedule: readonly number[], attempt: number, random: () => number = Math.random): number | null {
  const seconds = schedule[attempt - 1];
  if (seconds === undefined) return null;
  if (seconds < JITTER_FROM_S) return seconds * 1000;
  const jittered = Math.round(seconds * 1000 * (1 + JITTER * (2 * random() - 1)));
  // Jitter above the queue's longest delay is cut back to it, or the retry could not be enqueued.
  return Math.min(jittered, MAX_RETRY_DELAY_S * 1000);
}

/** A stored schedule (JSON of a revision); anything unreadable is the default, never a crash in the consumer. */
export function readSchedule(json: string | null | undefined): readonly number[] {
  try {
    const parsed: unknown = JSON.parse(json ?? "");
    if (Array.isArray(parsed) && parsed.every((s) => Number.isInteger(s) && s >= 1 && s <= MAX_RETRY_DELAY_S)) return parsed as number[];
  } catch {
    // fall through to the default
  }
  return DEFAULT_RETRY_SCHEDULE;
}

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
  /** The secret-dependent headers it was sent with, masked (signing-headers.ts); absent when nothing was sent. */
  signedHeaders?: string;
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

/**
 * `lastAttempt`: a resent delivery's one more attempt is its last (resend.ts). `schedule`: the
 * delivery's revision's retry_schedule, so an edit does not change the retries of a delivery
 * already under way.
 */
export function decide(o: Outcome, attempt: number, lastAttempt: number | null = null, schedule: readonly number[] = DEFAULT_RETRY_SCHEDULE, random: () => number = Math.random): Decision {
  if (o.ok) return { status: "success" };
  const scheduled = lastAttempt !== null && attempt >= lastAttempt ? null : retryDelayMs(schedule, attempt, random);
  if (scheduled === null || !isRetryable(o)) return { status: "failed" };
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

/**
 * Storage errors that say "try again": D1's documented retryable errors (D1 docs, "Retry
 * queries" and the error list) and a Durable Object's `retryable` errors. An overloaded
 * Durable Object is not retried in place (its docs: retrying adds to the load); the queue
 * redelivers the batch later instead.
 */
const D1_TRANSIENT = [
  "Network connection lost",
  "storage caused object to be reset",
  "reset because its code was updated",
  "D1 DB is overloaded",
  "transient issue on remote node",
];

export function isTransient(err: unknown): boolean {
  const e = err as { retryable?: boolean; overloaded?: boolean } | null;
  if (e && typeof e === "object" && e.overloaded) return false;
  if (e && typeof e === "object" && e.retryable) return true;
  const text = String((err as Error)?.message ?? err);
  return D1_TRANSIENT.some((s) => text.includes(s));
}

/** Three tries after the first, 100, 200 and 400 ms apart (with jitter): a blip, not an outage. */
const TRIES = 4;
const BASE_MS = 100;

/**
 * Runs `fn` again on a transient error, with exponential backoff and jitter. Only for work that
 * is safe to repeat; `onRetry` lets the caller learn that a try may have half-happened.
 */
export async function retryTransient<T>(fn: () => Promise<T>, onRetry?: () => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= TRIES || !isTransient(err)) throw err;
      onRetry?.();
      const delay = BASE_MS * 2 ** (attempt - 1);
      await new Promise((r) => setTimeout(r, delay / 2 + Math.random() * delay));
    }
  }
}

/**
 * How long the queue waits before it hands a batch back after a crash: 5 s, doubling each
 * time, so five redeliveries (max_retries) span about 2.5 minutes of trouble instead of the
 * queue's immediate retries burning them in seconds. Tests shorten it by config.
 */
export function redeliveryDelaySeconds(deliveries: number, baseSeconds = 5): number {
  return Math.min(baseSeconds * 2 ** Math.max(0, deliveries - 1), 300);
}

/** The auto-pause policy of the webhook's Durable Object. */

/** The product document: "After 10 consecutive failures, the webhook is automatically paused". */
export const AUTO_PAUSE_AFTER = 10;

/** Delivery ids remembered so that a re-reported failure (a redelivered message) counts once. */
export const REMEMBERED = 64;

/**
 * Waits between tries of a pause notice's step (the pause write, the email), after the first.
 * Six tries over about seven hours: they outlast a deploy or a D1 or Email Service incident, and
 * an email still refused after that (a daily sending quota used up) is recorded as failed for
 * the operator rather than arriving a day late.
 */
export const NOTICE_RETRY_DELAYS_MS = [10_000, 60_000, 600_000, 3_600_000, 21_600_000];
export const NOTICE_TRIES = NOTICE_RETRY_DELAYS_MS.length + 1;

/**
 * Fault injection for the auto-pause tests: inert unless a test arms it. The vitest pool runs
 * the worker's Durable Objects in the test's own isolate (runInDurableObject depends on it), so
 * a test arms these points directly, as test/consumer-crash.test.ts does with
 * src/delivery/faults.ts. Each point is a place where production can fail: the D1 write of the
 * pause, the read of whom to email, the send, and the moment after a send before it is recorded.
 */
export type NoticeFault = "pause-write" | "notice-lookup" | "email-send" | "email-sent";

const failing = new Map<NoticeFault, number>();
const reached = new Map<NoticeFault, number>();

/** The next `times` passes through `point` throw. */
export function failNext(point: NoticeFault, times = 1) {
  failing.set(point, times);
}

export function disarmNoticeFaults() {
  failing.clear();
  reached.clear();
}

/** How often `point` was reached since the last disarm, failing or not ("email-sent": emails that went out). */
export const timesReached = (point: NoticeFault) => reached.get(point) ?? 0;

export function noticeFault(point: NoticeFault) {
  reached.set(point, (reached.get(point) ?? 0) + 1);
  const left = failing.get(point) ?? 0;
  if (left <= 0) return;
  failing.set(point, left - 1);
  throw new Error(`injected fault at ${point}`);
}

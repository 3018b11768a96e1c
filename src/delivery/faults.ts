/**
 * Fault injection for the crash tests: inert unless a test arms it (tests run in the same
 * isolate as the worker). Each point is a place where a real consumer can die: before the send
 * (checked per message), after the sends but before the log, after the log but before the ack
 * (checked per wave). "storage" is a transient D1 error on the consumer's reads and writes.
 */
export type FaultPoint = "before-send" | "after-send" | "after-record" | "before-ack" | "storage";

let armed: { rates: Partial<Record<FaultPoint, number>>; fired: number; limit: number } | null = null;

/** Arms the given points, each with the probability that it throws when reached; at most `limit` throws in all. */
export function armFaults(rates: Partial<Record<FaultPoint, number>>, limit = Infinity) {
  armed = { rates, fired: 0, limit };
}

export function disarmFaults(): number {
  const fired = armed?.fired ?? 0;
  armed = null;
  return fired;
}

export function fault(point: FaultPoint) {
  const rate = armed?.rates[point];
  if (rate && armed!.fired < armed!.limit && Math.random() < rate) {
    armed!.fired++;
    // Worded as D1 words its retryable errors, so it is handled as one (src/lib/transient.ts).
    throw new Error(point === "storage" ? "D1_ERROR: Network connection lost (injected)" : `injected fault at ${point}`);
  }
}

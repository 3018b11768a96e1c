/**
 * Fault injection for the crash tests: inert unless a test arms it (tests run in the same
 * isolate as the worker). Each point is a place where a real consumer can die: before the send
 * (checked per message), after the sends but before the log, after the log but before the ack
 * (checked per batch).
 */
export type FaultPoint = "before-send" | "after-send" | "after-record" | "before-ack";

let armed: { rates: Partial<Record<FaultPoint, number>>; fired: number } | null = null;

/** Arms the given points, each with the probability that it throws when reached. */
export function armFaults(rates: Partial<Record<FaultPoint, number>>) {
  armed = { rates, fired: 0 };
}

export function disarmFaults(): number {
  const fired = armed?.fired ?? 0;
  armed = null;
  return fired;
}

export function fault(point: FaultPoint) {
  const rate = armed?.rates[point];
  if (rate && Math.random() < rate) {
    armed!.fired++;
    throw new Error(`injected fault at ${point}`);
  }
}

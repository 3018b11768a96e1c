/**
 * Fault injection for the crash tests: inert unless a test arms it (tests run in the same
 * isolate as the worker). Each point is a place where a real consumer can die: before the send,
 * after the send but before the log, after the log but before the ack.
 */
export type FaultPoint = "before-send" | "after-send" | "after-record" | "before-ack";

let armed: { points: ReadonlySet<FaultPoint>; rate: number; fired: number } | null = null;

export function armFaults(points: FaultPoint[], rate: number) {
  armed = { points: new Set(points), rate, fired: 0 };
}

export function disarmFaults(): number {
  const fired = armed?.fired ?? 0;
  armed = null;
  return fired;
}

export function fault(point: FaultPoint) {
  if (armed?.points.has(point) && Math.random() < armed.rate) {
    armed.fired++;
    throw new Error(`injected fault at ${point}`);
  }
}

/**
 * Server-Timing for the hot paths: where a request's time went (the fan-out, the shard, the
 * queue), in the response header, so a load test or a browser can see it without a profiler. In
 * Workers the clock advances across I/O, which is what these phases are.
 */
export class Timing {
  private readonly phases: [string, number][] = [];

  async measure<T>(name: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.phases.push([name, performance.now() - started]);
    }
  }

  private readonly notes: [string, string][] = [];

  /** A value that is not a duration (a count, say), as a metric's description. */
  note(name: string, value: string | number) {
    this.notes.push([name, String(value)]);
  }

  header(): string {
    return [...this.phases.map(([name, ms]) => `${name};dur=${ms.toFixed(1)}`), ...this.notes.map(([name, v]) => `${name};desc="${v}"`)].join(", ");
  }
}

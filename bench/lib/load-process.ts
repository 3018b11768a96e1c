/**
 * The load generator, in its own process: autocannon for throughput, a paced or closed-loop
 * sender for end-to-end runs. Receives one job over IPC, answers one result.
 */
import autocannon from "autocannon";

interface Job {
  kind: "autocannon" | "closed" | "paced";
  url: string;
  headers: Record<string, string>;
  /** Bodies to send, used round-robin. */
  bodies: string[];
  connections?: number;
  seconds?: number;
  total?: number;
  perSecond?: number;
}

/** Server-Timing phases of the service's answers (fanout, shard, partitions, queue), collected per request. */
const phases = new Map<string, number[]>();
function collectTiming(header: string | null) {
  for (const part of (header ?? "").split(",")) {
    const m = /^\s*([\w-]+);dur=([\d.]+)/.exec(part);
    if (m) phases.set(m[1]!, [...(phases.get(m[1]!) ?? []), Number(m[2])]);
  }
}
function phaseSummary() {
  const out: Record<string, { mean: number; p50: number; p99: number }> = {};
  for (const [name, xs] of phases) {
    const sorted = [...xs].sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
    out[name] = { mean: xs.reduce((a, b) => a + b, 0) / xs.length, p50: at(50), p99: at(99) };
  }
  return out;
}

async function closedLoop(job: Job) {
  const total = job.total!;
  let next = 0;
  let failed = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const res = await fetch(job.url, { method: "POST", headers: job.headers, body: job.bodies[i % job.bodies.length] }).catch((err) => {
        if (failed < 3) console.warn(`  ! request failed: ${err?.cause?.code ?? err}`);
        return null;
      });
      if (!res || res.status >= 300) failed++;
      if (res && res.status >= 300 && failed < 3) console.warn(`  ! ${res.status}: ${await res.clone().text()}`);
      collectTiming(res?.headers.get("server-timing") ?? null);
      await res?.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: job.connections ?? 50 }, worker));
  return { started, ended: Date.now(), sent: total, failed, phases: phaseSummary() };
}

async function paced(job: Job) {
  const perTick = job.perSecond! / 10;
  const ticks = job.seconds! * 10;
  const started = Date.now();
  let failed = 0;
  const inflight: Promise<void>[] = [];
  for (let t = 0; t < ticks; t++) {
    const due = started + t * 100;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    for (let i = 0; i < perTick; i++) {
      inflight.push(
        fetch(job.url, { method: "POST", headers: job.headers, body: job.bodies[(t * perTick + i) % job.bodies.length] })
          .then(async (res) => {
            if (res.status >= 300) failed++;
            await res.arrayBuffer();
          })
          .catch(() => void failed++),
      );
    }
  }
  await Promise.all(inflight);
  return { started, ended: Date.now(), sent: ticks * perTick, failed };
}

async function cannon(job: Job) {
  const result = await autocannon({
    url: job.url,
    method: "POST",
    headers: job.headers,
    body: job.bodies[0],
    connections: job.connections ?? 50,
    duration: job.seconds ?? 10,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    total: result.requests.total,
  };
}

process.once("message", async (job: Job) => {
  const result = job.kind === "autocannon" ? await cannon(job) : job.kind === "closed" ? await closedLoop(job) : await paced(job);
  process.send!(result, () => process.exit(0));
});

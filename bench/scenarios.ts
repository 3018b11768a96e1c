/** The benchmark's scenarios. Each returns the figures of one run. */
import { dollarsPerMillion } from "./lib/cost.ts";
import { readFileSync, statSync } from "node:fs";
import { cpuOf, perUnit, type CpuSample } from "./lib/cpu.ts";
import { runLoad, type DevServer, type Receiver } from "./lib/processes.ts";
import { INGEST_HEADERS, eventBody, setupNeighbours, setupOrganisation } from "./lib/service.ts";
import { percentile } from "./lib/stats.ts";

export interface Cannon {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
  /** CPU milliseconds per request of each wrangler dev process during the run. */
  cpu: CpuSample | null;
}

export async function ingestThroughput(server: DevServer, path: string, headers: Record<string, string>, body: string, seconds: number): Promise<Cannon> {
  const url = `${server.url}${path}`;
  const before = cpuOf(server.pid);
  const r = await runLoad<Omit<Cannon, "cpu">>({ kind: "autocannon", url, headers, bodies: [body], connections: 50, seconds });
  const cpu = perUnit(before, cpuOf(server.pid), r.total);
  if (r.non2xx || r.errors) console.warn(`  ! ${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  // Throughput counts answers that succeeded: a failure is often quicker than the work it skips.
  const rps = r.total > 0 ? (r.rps * Math.max(0, r.total - r.non2xx)) / r.total : 0;
  return { ...r, rps, cpu };
}

/** The consumer's own account of its batches (one log line each), from the wrangler log. */
export function batchProfile(logFile: string, fromByte: number) {
  const text = readFileSync(logFile, "utf8").slice(fromByte);
  // Whole lines, parsed: the fields of the line may change order or grow.
  // A line the log interleaved with another process's output is skipped, not fatal.
  const batches = [...text.matchAll(/^.*"msg":"delivery batch".*$/gm)].flatMap((m) => {
    try {
      return [JSON.parse(m[0].slice(m[0].indexOf("{"))) as { messages: number; queue_messages?: number; timing: string; object_calls?: number }];
    } catch {
      return [];
    }
  });
  const sums: Record<string, number> = {};
  let messages = 0;
  let queueMessages = 0;
  let objectCalls = 0;
  for (const { messages: n, queue_messages, timing, object_calls } of batches) {
    messages += n;
    // Deliveries come packed (src/delivery/packs.ts): the queue bills messages, not deliveries.
    queueMessages += queue_messages ?? n;
    objectCalls += object_calls ?? 0;
    for (const m of timing.matchAll(/(\w+);dur=([\d.]+)/g)) sums[m[1]!] = (sums[m[1]!] ?? 0) + Number(m[2]);
  }
  const perBatch = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(1, batches.length)]));
  return { batches: batches.length, messages, queueMessages, objectCalls, messagesPerBatch: messages / Math.max(1, batches.length), msPerBatch: perBatch };
}

export const logSize = (logFile: string) => statSync(logFile).size;

export interface EndToEnd {
  deliveriesPerSecond: number;
  p50: number;
  p99: number;
  missing: number;
  duplicates: number;
  badSignatures: number;
  failedRequests: number;
  ingestPhases?: Record<string, { mean: number; p50: number; p99: number }>;
  /** CPU milliseconds per delivery of each wrangler dev process, from the first request to the last receipt. */
  cpu?: CpuSample | null;
  consumer?: ReturnType<typeof batchProfile>;
  /** Dollars per million deliveries at published prices (lib/cost.ts). */
  cost?: ReturnType<typeof dollarsPerMillion>;
}

let runNo = 0;
const nextPrefix = () => `/run${++runNo}-${Date.now().toString(36)}/`;

/** Waits until `expected` distinct deliveries arrived, or nothing new came for `idleMs`. */
async function drain(receiver: Receiver, prefix: string, expected: number, idleMs = 30_000) {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const s = await receiver.stats(prefix);
    if (s.unique >= expected) return s;
    if (s.unique !== last) {
      last = s.unique;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > idleMs) return s;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function measure(server: DevServer, receiver: Receiver, prefix: string, expected: number, job: Record<string, unknown>): Promise<EndToEnd> {
  const before = cpuOf(server.pid);
  const { started, failed, phases } = await runLoad<{ started: number; failed: number; phases?: EndToEnd["ingestPhases"] }>(job);
  const s = await drain(receiver, prefix, expected);
  const cpu = perUnit(before, cpuOf(server.pid), s.unique);
  return {
    cpu,
    deliveriesPerSecond: s.unique / ((s.last - started) / 1000),
    p50: percentile(s.latencies, 50),
    p99: percentile(s.latencies, 99),
    missing: expected - s.unique,
    duplicates: s.duplicates,
    badSignatures: s.badSignatures,
    failedRequests: failed,
    ingestPhases: phases,
  };
}

export async function serviceEndToEnd(dev: DevServer, receiver: Receiver, events: number, webhooks: number): Promise<EndToEnd> {
  const prefix = nextPrefix();
  const orgId = await setupOrganisation(dev.url, receiver.url, webhooks, true, prefix);
  const from = logSize(dev.logFile);
  const result = await measure(dev, receiver, prefix, events * webhooks, { kind: "closed", url: `${dev.url}/v1/events`, headers: INGEST_HEADERS, bodies: [eventBody(orgId)], total: events, connections: 50 });
  const consumer = batchProfile(dev.logFile, from);
  // The organisation is new, so its objects' meters hold this run's rows and nothing else.
  const meter = (await (await fetch(`${dev.url}/v1/organisations/${orgId}/storage-meter`, { headers: { Authorization: "Bearer dev-admin-token" } })).json()) as { rows_written: number; rows_read: number };
  const cost = dollarsPerMillion({
    deliveries: events * webhooks - result.missing,
    events,
    rowsWritten: meter.rows_written,
    rowsRead: meter.rows_read,
    messages: consumer.queueMessages,
    batches: consumer.batches,
    consumerObjectCalls: consumer.objectCalls,
  });
  return { ...result, consumer, cost };
}

export async function baselineEndToEnd(dev: DevServer, receiver: Receiver, events: number, fanout: number, path = "/enqueue"): Promise<EndToEnd> {
  const prefix = nextPrefix();
  const r = await measure(dev, receiver, prefix, events * fanout, {
    kind: "closed",
    url: `${dev.url}${path}?n=${fanout}`,
    headers: { "Content-Type": "application/json" },
    bodies: [JSON.stringify({ url: `${receiver.url}${prefix}` })],
    total: events,
    connections: 50,
  });
  return { ...r, badSignatures: 0 };
}

export async function steadyRate(dev: DevServer, receiver: Receiver, perSecond: number, seconds: number): Promise<EndToEnd> {
  const prefix = nextPrefix();
  const orgId = await setupOrganisation(dev.url, receiver.url, 1, true, prefix);
  return measure(dev, receiver, prefix, perSecond * seconds, { kind: "paced", url: `${dev.url}/v1/events`, headers: INGEST_HEADERS, bodies: [eventBody(orgId)], perSecond, seconds });
}

/**
 * Ingest at c=50 into an organisation with `webhooks` subscribers; the consumer delivers
 * meanwhile, on the same runtime thread. Waits for the backlog to drain before answering, so
 * the next run starts from an idle service.
 */
export async function ingestSubscribed(dev: DevServer, receiver: Receiver, webhooks: number, seconds: number): Promise<Cannon & { delivered: number }> {
  const prefix = nextPrefix();
  const orgId = await setupOrganisation(dev.url, receiver.url, webhooks, true, prefix);
  const r = await ingestThroughput(dev, "/v1/events", INGEST_HEADERS, eventBody(orgId), seconds);
  const s = await drain(receiver, prefix, (r.total - r.non2xx) * webhooks);
  return { ...r, delivered: s.unique };
}

/** ingestSubscribed's floor: the baseline's /floor/enqueue at c=50, its consumer delivering and logging meanwhile. */
export async function floorSubscribed(dev: DevServer, receiver: Receiver, seconds: number): Promise<Cannon & { delivered: number }> {
  const prefix = nextPrefix();
  const r = await ingestThroughput(dev, "/floor/enqueue?n=1", { "Content-Type": "application/json" }, JSON.stringify({ url: `${receiver.url}${prefix}` }), seconds);
  const s = await drain(receiver, prefix, r.total - r.non2xx);
  return { ...r, delivered: s.unique };
}

/**
 * Ten webhooks on every event, the first hanging (or, for the comparison, healthy but outside
 * the measured prefix): the nine healthy ones' deliveries/s and ingest-to-receipt latency, and
 * their false failures (attempts logged as anything but success), read from the stats route.
 */
export async function noisyNeighbour(dev: DevServer, receiver: Receiver, events: number, hanging: boolean): Promise<EndToEnd & { falseFailures: number }> {
  const prefix = nextPrefix();
  const first = hanging ? `${receiver.url}/hang${prefix}0` : `${receiver.url}/elsewhere${prefix}0`;
  const { orgId, key, healthy, hangingId } = await setupNeighbours(dev.url, receiver.url, prefix.slice(0, -1), first);
  const r = await measure(dev, receiver, prefix, events * 9, { kind: "closed", url: `${dev.url}/v1/events`, headers: INGEST_HEADERS, bodies: [eventBody(orgId)], total: events, connections: 50 });
  let falseFailures = 0;
  for (const id of healthy) {
    const res = await fetch(`${dev.url}/v1/webhooks/${id}/stats`, { headers: { Authorization: `Bearer ${key}` } });
    const stats = (await res.json()) as { total_deliveries: number; successful_deliveries: number };
    falseFailures += stats.total_deliveries - stats.successful_deliveries;
  }
  if (hanging) {
    // Its hanging webhook's sends and retries would go on into the next scenario's window (and
    // its CPU figures): pause it, so what is left is skipped, release what still hangs, and
    // wait for the service to go quiet.
    await fetch(`${dev.url}/v1/webhooks/${hangingId}/pause`, { method: "POST", headers: { Authorization: `Bearer ${key}` } });
    await receiver.release();
    console.log(`  noisy neighbour: service quiet ${await quiet(dev)} ms after its hanging run`);
  }
  return { ...r, falseFailures };
}

/** Waits (up to `maxMs`) until the worker process used under a tenth of a core for two seconds in a row. */
async function quiet(dev: DevServer, maxMs = 60_000): Promise<number> {
  const start = Date.now();
  const until = start + maxMs;
  let calm = 0;
  let before = cpuOf(dev.pid);
  while (Date.now() < until && calm < 2) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = cpuOf(dev.pid);
    if (!before || !now) break;
    calm = now.worker - before.worker < 100 ? calm + 1 : 0;
    before = now;
  }
  return Date.now() - start;
}

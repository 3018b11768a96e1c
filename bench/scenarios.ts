/** The benchmark's scenarios. Each returns the figures of one run. */
import { readFileSync, statSync } from "node:fs";
import { runLoad, type DevServer, type Receiver } from "./lib/processes.ts";
import { INGEST_HEADERS, eventBody, setupOrganisation } from "./lib/service.ts";
import { percentile } from "./lib/stats.ts";

interface Cannon {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

export async function ingestThroughput(url: string, headers: Record<string, string>, body: string, seconds: number): Promise<Cannon> {
  const r = await runLoad<Cannon>({ kind: "autocannon", url, headers, bodies: [body], connections: 50, seconds });
  if (r.non2xx || r.errors) console.warn(`  ! ${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r;
}

/** The consumer's own account of its batches (one log line each), from the wrangler log. */
export function batchProfile(logFile: string, fromByte: number) {
  const text = readFileSync(logFile, "utf8").slice(fromByte);
  const batches = [...text.matchAll(/"msg":"delivery batch","messages":(\d+),"attempts":\d+,"timing":"([^"]+)"/g)];
  const sums: Record<string, number> = {};
  let messages = 0;
  for (const [, n, timing] of batches) {
    messages += Number(n);
    for (const m of timing!.matchAll(/(\w+);dur=([\d.]+)/g)) sums[m[1]!] = (sums[m[1]!] ?? 0) + Number(m[2]);
  }
  const perBatch = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(1, batches.length)]));
  return { batches: batches.length, messagesPerBatch: messages / Math.max(1, batches.length), msPerBatch: perBatch };
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
  consumer?: ReturnType<typeof batchProfile>;
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

async function measure(receiver: Receiver, prefix: string, expected: number, load: Promise<{ started: number; failed: number; phases?: EndToEnd["ingestPhases"] }>): Promise<EndToEnd> {
  const { started, failed, phases } = await load;
  const s = await drain(receiver, prefix, expected);
  return {
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
  const load = runLoad<{ started: number; failed: number }>({ kind: "closed", url: `${dev.url}/v1/events`, headers: INGEST_HEADERS, bodies: [eventBody(orgId)], total: events, connections: 50 });
  const result = await measure(receiver, prefix, events * webhooks, load);
  return { ...result, consumer: batchProfile(dev.logFile, from) };
}

export async function baselineEndToEnd(dev: DevServer, receiver: Receiver, events: number, fanout: number): Promise<EndToEnd> {
  const prefix = nextPrefix();
  const load = runLoad<{ started: number; failed: number }>({
    kind: "closed",
    url: `${dev.url}/enqueue?n=${fanout}`,
    headers: { "Content-Type": "application/json" },
    bodies: [JSON.stringify({ url: `${receiver.url}${prefix}` })],
    total: events,
    connections: 50,
  });
  const r = await measure(receiver, prefix, events * fanout, load);
  return { ...r, badSignatures: 0 };
}

export async function steadyRate(dev: DevServer, receiver: Receiver, perSecond: number, seconds: number): Promise<EndToEnd> {
  const prefix = nextPrefix();
  const orgId = await setupOrganisation(dev.url, receiver.url, 1, true, prefix);
  const load = runLoad<{ started: number; failed: number }>({ kind: "paced", url: `${dev.url}/v1/events`, headers: INGEST_HEADERS, bodies: [eventBody(orgId)], perSecond, seconds });
  return measure(receiver, prefix, perSecond * seconds, load);
}

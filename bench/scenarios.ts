/** The benchmark's scenarios. Each returns the figures of one run. */
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

export interface EndToEnd {
  deliveriesPerSecond: number;
  p50: number;
  p99: number;
  missing: number;
  duplicates: number;
  badSignatures: number;
  failedRequests: number;
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

async function measure(receiver: Receiver, prefix: string, expected: number, load: Promise<{ started: number; failed: number }>): Promise<EndToEnd> {
  const { started, failed } = await load;
  const s = await drain(receiver, prefix, expected);
  return {
    deliveriesPerSecond: s.unique / ((s.last - started) / 1000),
    p50: percentile(s.latencies, 50),
    p99: percentile(s.latencies, 99),
    missing: expected - s.unique,
    duplicates: s.duplicates,
    badSignatures: s.badSignatures,
    failedRequests: failed,
  };
}

export async function serviceEndToEnd(dev: DevServer, receiver: Receiver, events: number, webhooks: number): Promise<EndToEnd> {
  const prefix = nextPrefix();
  const orgId = await setupOrganisation(dev.url, receiver.url, webhooks, true, prefix);
  const load = runLoad<{ started: number; failed: number }>({ kind: "closed", url: `${dev.url}/v1/events`, headers: INGEST_HEADERS, bodies: [eventBody(orgId)], total: events, connections: 50 });
  return measure(receiver, prefix, events * webhooks, load);
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

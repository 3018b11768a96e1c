/**
 * `node bench/profile-ingest.ts`: a CPU profile of the worker's isolate while ingest is under load
 * (autocannon, c=50, 8 s), through wrangler dev's inspector. Prints where the isolate's CPU time
 * goes by source file, and how busy the isolate was. The profile is written to bench/results/.
 * `E2E=2000` profiles the end-to-end run instead (2000 events to one webhook, ingest and consumer).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runLoad, startDev, startReceiver } from "./lib/processes.ts";
import { INGEST_HEADERS, SECRET, eventBody, setupOrganisation } from "./lib/service.ts";
import { serviceEndToEnd } from "./scenarios.ts";

const INSPECTOR = 9331;
const subscribers = Number(process.env.SUBSCRIBERS ?? 1);
const rec = await startReceiver(SECRET);
const dev = await startDev({ config: join(ROOT, "wrangler.toml"), port: 8857, migrate: true, extraArgs: ["--inspector-port", String(INSPECTOR)] });
const org = await setupOrganisation(dev.url, rec.url, 1, subscribers > 0, "/prof");

const targets = (await (await fetch(`http://127.0.0.1:${INSPECTOR}/json`)).json()) as { webSocketDebuggerUrl: string; title: string }[];
const target = targets.find((t) => !t.title.includes("ProxyWorker")) ?? targets[0]!;
// wrangler's inspector proxy refuses a connection without an Origin it knows.
const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { Origin: "http://localhost" } } as never);
await new Promise((ok) => ws.addEventListener("open", ok, { once: true }));
let seq = 0;
const pending = new Map<number, (v: any) => void>();
ws.addEventListener("message", (e) => {
  const msg = JSON.parse(String(e.data));
  if (msg.id && pending.has(msg.id)) pending.get(msg.id)!(msg.result);
});
const send = (method: string, params: object = {}) =>
  new Promise<any>((ok) => {
    const id = ++seq;
    pending.set(id, ok);
    ws.send(JSON.stringify({ id, method, params }));
  });

await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 200 });
await send("Profiler.start");
const e2e = Number(process.env.E2E ?? 0);
const load = e2e
  ? { rps: (await serviceEndToEnd(dev, rec, e2e, 1)).deliveriesPerSecond }
  : await runLoad<{ rps: number }>({ kind: "autocannon", url: `${dev.url}/v1/events`, headers: INGEST_HEADERS, bodies: [eventBody(org)], connections: 50, seconds: 8 });
const { profile } = await send("Profiler.stop");
writeFileSync(join(ROOT, "bench/results/ingest.cpuprofile"), JSON.stringify(profile));

// Self time per node, summed by source file (or by function for native/runtime frames).
const dt = new Map<number, number>();
profile.samples.forEach((id: number, i: number) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const byFile = new Map<string, number>();
let total = 0;
let idle = 0;
for (const node of profile.nodes) {
  const us = dt.get(node.id) ?? 0;
  total += us;
  const f = node.callFrame;
  if (f.functionName === "(idle)" || f.functionName === "(program)") { idle += us; continue; }
  const where = f.url ? f.url.replace(/^.*\/(node_modules\/[^/]+(\/[^/]+)?|src\/.*)$/, "$1").replace(/\?.*$/, "") : `(${f.functionName || "native"})`;
  byFile.set(where, (byFile.get(where) ?? 0) + us);
}
console.log(`${e2e ? "end to end" : "ingest"} ${Math.round(load.rps)} ${e2e ? "deliveries" : "req"}/s; worker isolate busy ${(((total - idle) / total) * 100).toFixed(1)}% of ${(total / 1e6).toFixed(1)} s sampled`);
for (const [file, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${file}`);
ws.close();
await dev.stop();
rec.stop();

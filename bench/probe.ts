// Sequential ingest probe: service time per request and its Server-Timing phases (no queueing).
import { startDev, startReceiver } from "./lib/processes.ts";
import { INGEST_HEADERS, SECRET, eventBody, setupOrganisation } from "./lib/service.ts";
const rec = await startReceiver(SECRET);
const dev = await startDev({ config: new URL("../wrangler.toml", import.meta.url).pathname, port: 8855, migrate: true });
for (const subs of [0, 1]) {
  const org = await setupOrganisation(dev.url, rec.url, 1, subs === 1, `/p${subs}`);
  const totals: number[] = []; const fanout: number[] = []; const q: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    const res = await fetch(`${dev.url}/v1/events`, { method: "POST", headers: INGEST_HEADERS, body: eventBody(org) });
    await res.arrayBuffer();
    totals.push(performance.now() - t0);
    const st = res.headers.get("server-timing") ?? "";
    fanout.push(Number(/fanout;dur=([\d.]+)/.exec(st)?.[1] ?? NaN)); q.push(Number(/queue;dur=([\d.]+)/.exec(st)?.[1] ?? 0));
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(2);
  console.log(`subscribers=${subs}: total ${med(totals)} ms, fan-out ${med(fanout)} ms, queue ${med(q)} ms`);
}
const t = []; for (let i = 0; i < 300; i++) { const t0 = performance.now(); const r = await fetch(`${dev.url}/v1/event-types`, { headers: { Authorization: "Bearer nope" } }); await r.arrayBuffer(); t.push(performance.now() - t0); }
console.log(`401 route: ${[...t].sort((a, b) => a - b)[150]!.toFixed(2)} ms`);
await dev.stop(); rec.stop();

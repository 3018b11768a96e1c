/**
 * `npm run bench`: measures the service against baselines in the same runtime, on this machine.
 * Every figure is the median of BENCH_RUNS runs (default 5) with min and max; each ratio is the
 * median of per-pair ratios, baseline and service measured back to back. Results go to
 * bench/results/latest.json and bench/results/latest.md. BENCH_QUICK=1 shrinks the loads.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, startDev, startReceiver } from "./lib/processes.ts";
import { INGEST_HEADERS, SECRET, eventBody, setupOrganisation } from "./lib/service.ts";
import type { CpuSample } from "./lib/cpu.ts";
import { round, summarise, type Summary } from "./lib/stats.ts";
import { baselineEndToEnd, floorSubscribed, ingestSubscribed, ingestThroughput, noisyNeighbour, serviceEndToEnd, steadyRate, type EndToEnd } from "./scenarios.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const QUICK = process.env.BENCH_QUICK === "1";
const SECONDS = QUICK ? 5 : 10;
const E2E_ONE = QUICK ? 2000 : 10_000;
const E2E_TEN = QUICK ? 200 : 1000;
const STEADY_SECONDS = QUICK ? 15 : 60;
const NOISY_EVENTS = QUICK ? 500 : 1500;
/** BENCH_ONLY=noisy runs the noisy-neighbour pairs alone. */
const ONLY = process.env.BENCH_ONLY;

type Row = { figure: string; unit: string; service: Summary; baseline?: Summary; ratio?: Summary; budget?: string };
const rows: Row[] = [];

async function repeat<T>(label: string, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < RUNS; i++) {
    out.push(await fn());
    console.log(`  ${label} run ${i + 1}/${RUNS}: ${JSON.stringify(out[i])}`);
  }
  return out;
}

const pick = <T>(xs: T[], f: (x: T) => number) => summarise(xs.map(f));

/**
 * Runs each pair (baseline, then service) back to back, RUNS times, with both servers up: each
 * ratio compares two runs a few seconds apart, so the machine's drift between phases (up to 40%
 * here) does not land in one side of a ratio only.
 */
async function pairs<B, S>(label: string, baseline: () => Promise<B>, service: () => Promise<S>, ...floors: (() => Promise<B>)[]): Promise<[B[], S[], ...B[][]]> {
  const bs: B[] = [];
  const ss: S[] = [];
  const fs: B[][] = floors.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    bs.push(await baseline());
    // A floor runs between its baseline and the service, so its ratio is a pair's too.
    for (const [k, floor] of floors.entries()) fs[k]!.push(await floor());
    ss.push(await service());
    console.log(`  ${label} run ${i + 1}/${RUNS}: baseline ${JSON.stringify(bs[i])}\n${fs.map((f) => `    floor ${JSON.stringify(f[i])}\n`).join("")}    service ${JSON.stringify(ss[i])}`);
  }
  return [bs, ss, ...fs];
}

async function main() {
  const receiver = await startReceiver(SECRET);
  const results: Record<string, unknown> = { runs: RUNS, quick: QUICK, at: new Date().toISOString() };

  const base = await startDev({ config: join(ROOT, "bench/baseline/wrangler.toml"), port: 8811 });
  running.push(base);
  const dev = await startDev({ config: join(ROOT, "wrangler.toml"), port: 8812, migrate: true });
  running.push(dev);
  const orgNoSubs = await setupOrganisation(dev.url, receiver.url, 1, false);
  const bareRoute = () => ingestThroughput(base, "/bare", { "Content-Type": "application/json" }, "{}", SECONDS);
  // The floors (bench/baseline/worker.ts): the least any ingest durable before its 202 does here.
  const floorRoute = (path: string) => () => ingestThroughput(base, path, { "Content-Type": "application/json" }, eventBody(orgNoSubs), SECONDS);

  // Ten webhooks, all healthy, then the same with the first hanging: the nine healthy ones' figures.
  const [calm, noisy] = await pairs("noisy neighbour", () => noisyNeighbour(dev, receiver, NOISY_EVENTS, false), () => noisyNeighbour(dev, receiver, NOISY_EVENTS, true));
  const dpsOf = (xs: EndToEnd[]) => xs.map((x) => x.deliveriesPerSecond);
  rows.push(
    { figure: `Noisy neighbour, ${NOISY_EVENTS} events → 10 webhooks, one hanging: the nine healthy`, unit: "deliveries/s", service: pick(noisy, (x) => x.deliveriesPerSecond), baseline: pick(calm, (x) => x.deliveriesPerSecond), ratio: summarise(dpsOf(noisy).map((x, i) => x / dpsOf(calm)[i]!)), budget: ">= 0.8" },
    { figure: `  ingest-to-receipt p99`, unit: "ms", service: pick(noisy, (x) => x.p99), baseline: pick(calm, (x) => x.p99) },
    { figure: `  false failures (healthy attempts not logged as success)`, unit: "count", service: pick(noisy, (x) => x.falseFailures), baseline: pick(calm, (x) => x.falseFailures), budget: "0" },
    { figure: `  missing / duplicates / bad signatures / ingests not answered 2xx`, unit: "count", service: pick(noisy, (x) => x.missing + x.duplicates + x.badSignatures + x.failedRequests), budget: "0" },
  );
  if (ONLY === "noisy") {
    await Promise.all([dev.stop(), base.stop()]);
    receiver.stop();
    Object.assign(results, { calm, noisy, rows });
    return write(results);
  }

  const [bare, ingestBare, floorObject, floorIngest] = await pairs("ingest, no subscriber", bareRoute, () => ingestThroughput(dev, "/v1/events", INGEST_HEADERS, eventBody(orgNoSubs), SECONDS), floorRoute("/floor/object"), floorRoute("/floor"));
  const [bareOne, ingestOne, floorOne] = await pairs("ingest, 1 subscriber", bareRoute, () => ingestSubscribed(dev, receiver, 1, SECONDS), () => floorSubscribed(base, receiver, SECONDS));
  const [baseOne, one, floorE2e] = await pairs("end to end 1 webhook", () => baselineEndToEnd(base, receiver, E2E_ONE, 1), () => serviceEndToEnd(dev, receiver, E2E_ONE, 1), () => baselineEndToEnd(base, receiver, E2E_ONE, 1, "/floor/enqueue"));
  const [baseTen, ten] = await pairs("end to end 10 webhooks", () => baselineEndToEnd(base, receiver, E2E_TEN, 10), () => serviceEndToEnd(dev, receiver, E2E_TEN, 10));
  const steady = await repeat("steady 100/s", () => steadyRate(dev, receiver, 100, STEADY_SECONDS));
  await Promise.all([dev.stop(), base.stop()]);
  receiver.stop();

  const ratio = (a: number[], b: number[]) => summarise(a.map((x, i) => x / b[i]!));
  const rps = (xs: { rps: number }[]) => xs.map((x) => x.rps);
  const dps = (xs: EndToEnd[]) => xs.map((x) => x.deliveriesPerSecond);
  rows.push(
    { figure: "Ingest throughput, no subscriber (c=50)", unit: "req/s", service: pick(ingestBare, (x) => x.rps), baseline: pick(bare, (x) => x.rps), ratio: ratio(rps(ingestBare), rps(bare)), budget: ">= 0.7" },
    { figure: "  floor: one object write, no logic", unit: "req/s", service: pick(floorObject!, (x) => x.rps), baseline: pick(bare, (x) => x.rps), ratio: ratio(rps(floorObject!), rps(bare)) },
    { figure: "  floor: one D1 read + one object write, no logic", unit: "req/s", service: pick(floorIngest!, (x) => x.rps), baseline: pick(bare, (x) => x.rps), ratio: ratio(rps(floorIngest!), rps(bare)) },
    { figure: "  service against that floor", unit: "req/s", service: pick(ingestBare, (x) => x.rps), baseline: pick(floorIngest!, (x) => x.rps), ratio: ratio(rps(ingestBare), rps(floorIngest!)) },
    { figure: "  requests not answered 2xx", unit: "count", service: pick(ingestBare, (x) => x.non2xx + x.errors), budget: "0" },
    { figure: "Ingest throughput, 1 subscriber (c=50)", unit: "req/s", service: pick(ingestOne, (x) => x.rps), baseline: pick(bareOne, (x) => x.rps), ratio: ratio(rps(ingestOne), rps(bareOne)), budget: ">= 0.7" },
    { figure: "  floor: one D1 read + one object write + one queue send, deliveries logged meanwhile", unit: "req/s", service: pick(floorOne!, (x) => x.rps), baseline: pick(bareOne, (x) => x.rps), ratio: ratio(rps(floorOne!), rps(bareOne)) },
    { figure: "  service against that floor", unit: "req/s", service: pick(ingestOne, (x) => x.rps), baseline: pick(floorOne!, (x) => x.rps), ratio: ratio(rps(ingestOne), rps(floorOne!)) },
    { figure: "  requests not answered 2xx", unit: "count", service: pick(ingestOne, (x) => x.non2xx + x.errors), budget: "0" },
    { figure: "Ingest latency p50, 1 subscriber", unit: "ms", service: pick(ingestOne, (x) => x.p50), baseline: pick(bareOne, (x) => x.p50) },
    { figure: "Ingest latency p99, 1 subscriber", unit: "ms", service: pick(ingestOne, (x) => x.p99), baseline: pick(bareOne, (x) => x.p99) },
    { figure: `End to end, ${E2E_ONE} events → 1 webhook`, unit: "deliveries/s", service: pick(one, (x) => x.deliveriesPerSecond), baseline: pick(baseOne, (x) => x.deliveriesPerSecond), ratio: ratio(dps(one), dps(baseOne)), budget: ">= 0.6" },
    { figure: "  floor: that ingest floor, a consumer that logs each batch's attempts in one object call", unit: "deliveries/s", service: pick(floorE2e!, (x) => x.deliveriesPerSecond), baseline: pick(baseOne, (x) => x.deliveriesPerSecond), ratio: ratio(dps(floorE2e!), dps(baseOne)) },
    { figure: "  service against that floor", unit: "deliveries/s", service: pick(one, (x) => x.deliveriesPerSecond), baseline: pick(floorE2e!, (x) => x.deliveriesPerSecond), ratio: ratio(dps(one), dps(floorE2e!)) },
    { figure: `  ingest-to-receipt p50`, unit: "ms", service: pick(one, (x) => x.p50), baseline: pick(baseOne, (x) => x.p50) },
    { figure: `  p99`, unit: "ms", service: pick(one, (x) => x.p99), baseline: pick(baseOne, (x) => x.p99) },
    { figure: `  missing / duplicates / bad signatures / ingests not answered 2xx`, unit: "count", service: pick(one, (x) => x.missing + x.duplicates + x.badSignatures + x.failedRequests), budget: "0" },
    { figure: `End to end, ${E2E_TEN} events → 10 webhooks`, unit: "deliveries/s", service: pick(ten, (x) => x.deliveriesPerSecond), baseline: pick(baseTen, (x) => x.deliveriesPerSecond), ratio: ratio(dps(ten), dps(baseTen)), budget: ">= 0.5" },
    { figure: `  ingest-to-receipt p50`, unit: "ms", service: pick(ten, (x) => x.p50), baseline: pick(baseTen, (x) => x.p50) },
    { figure: `  p99`, unit: "ms", service: pick(ten, (x) => x.p99), baseline: pick(baseTen, (x) => x.p99) },
    { figure: `  missing / duplicates / bad signatures / ingests not answered 2xx`, unit: "count", service: pick(ten, (x) => x.missing + x.duplicates + x.badSignatures + x.failedRequests), budget: "0" },
    { figure: "Storage rows written per delivery, 1 webhook (shards' and partitions' own counters)", unit: "rows", service: pick(one, (x) => x.cost!.rowsPerDelivery) },
    { figure: "  per delivery, 10 webhooks", unit: "rows", service: pick(ten, (x) => x.cost!.rowsPerDelivery) },
    { figure: "Cost per million deliveries, 1 webhook (rows, queue, requests, object requests)", unit: "$", service: pick(one, (x) => x.cost!.total), budget: "<= 3" },
    ...(["rowsWritten", "rowsRead", "queue", "workerRequests", "objectRequests"] as const).map((line) => ({ figure: `  of which ${line}`, unit: "$", service: pick(one, (x) => x.cost!.lines[line]) })),
    { figure: "  10 webhooks", unit: "$", service: pick(ten, (x) => x.cost!.total), budget: "<= 3" },
    { figure: `Steady 100 events/s for ${STEADY_SECONDS} s: ingest-to-receipt p99`, unit: "ms", service: pick(steady, (x) => x.p99), budget: "< 2000" },
    { figure: `  missing / ingests not answered 2xx`, unit: "count", service: pick(steady, (x) => x.missing + x.failedRequests), budget: "0" },
  );
  Object.assign(results, { calm, noisy, ingestBare, ingestOne, bare, bareOne, one, ten, baseOne, baseTen, steady, floorObject, floorIngest, floorOne, floorE2e, rows });
  const cpu = cpuTable([
    ["bare route (per request)", bare],
    ["floor: one D1 read + one object write (per request)", floorIngest!],
    ["ingest, no subscriber (per request)", ingestBare],
    ["ingest, 1 subscriber, deliveries meanwhile (per request)", ingestOne],
    ["bare consumer, 1 webhook (per delivery, enqueue included)", baseOne],
    ["end-to-end floor, 1 webhook (per delivery)", floorE2e!],
    ["end to end, 1 webhook (per delivery, ingest included)", one],
    ["bare consumer, 10 webhooks (per delivery, enqueue included)", baseTen],
    ["end to end, 10 webhooks (per delivery, ingest included)", ten],
  ]);
  write(results, cpu + profile([...one, ...ten]));
}

function cell(s?: Summary) {
  return s ? `${round(s.median, 2)} (${round(s.min, 2)}–${round(s.max, 2)})` : "";
}

/**
 * Where the machine's time goes: CPU per request (or delivery) of each wrangler dev process, the
 * median of the runs. "worker" is the workerd that runs the Worker and every local binding (D1,
 * queues, Durable Objects) on one thread: the figure that bounds throughput here.
 */
function cpuTable(rows: [string, { cpu?: CpuSample | null }[]][]): string {
  const med = (xs: (CpuSample | null | undefined)[], k: keyof CpuSample) => summarise(xs.filter((x): x is CpuSample => !!x).map((x) => x[k])).median;
  const lines = ["", "CPU per unit of work (ms, median of runs) by wrangler dev process: wrangler (Node), proxy (the workerd in front of the port), worker (the workerd that runs the Worker with D1, queues and Durable Objects, on one thread).", ""];
  lines.push("| work | wrangler | proxy | worker | total |", "| --- | --- | --- | --- | --- |");
  for (const [label, runs] of rows) {
    const cpus = runs.map((r) => r.cpu);
    if (!cpus.some(Boolean)) continue;
    const [w, p, k] = (["wrangler", "proxy", "worker"] as const).map((key) => med(cpus, key));
    lines.push(`| ${label} | ${round(w!, 2)} | ${round(p!, 2)} | ${round(k!, 2)} | ${round(w! + p! + k!, 2)} |`);
  }
  return lines.join("\n") + "\n";
}

/** Where the time goes: ingest's Server-Timing phases and the consumer's per-batch log lines. */
function profile(runs: EndToEnd[]): string {
  const lines = ["", "Profile (end-to-end runs): ingest phases from Server-Timing, consumer from its per-batch log line.", ""];
  lines.push("| run | ingest fan-out p50 / p99 ms | ingest queue p50 / p99 ms | batches | messages per batch | load / send / settle ms per batch |", "| --- | --- | --- | --- | --- | --- |");
  runs.forEach((r, i) => {
    const p = r.ingestPhases ?? {};
    const c = r.consumer;
    // The consumer's phases as its log line names them (src/delivery/consume.ts): settle is record and effects together.
    const ms = c ? ["load", "send", "settle"].map((k) => round(c.msPerBatch[k] ?? 0)).join(" / ") : "";
    lines.push(`| ${i + 1} | ${round(p.fanout?.p50 ?? NaN)} / ${round(p.fanout?.p99 ?? NaN)} | ${round(p.queue?.p50 ?? NaN)} / ${round(p.queue?.p99 ?? NaN)} | ${c?.batches ?? ""} | ${round(c?.messagesPerBatch ?? NaN)} | ${ms} |`);
  });
  return lines.join("\n");
}

function write(results: Record<string, unknown>, extra = "") {
  const dir = join(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const md = [
    `Benchmark, ${results.at}; median (min–max) of ${RUNS} runs${QUICK ? " (quick)" : ""}.`,
    "",
    "| figure | unit | service | baseline | ratio | budget |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.figure} | ${r.unit} | ${cell(r.service)} | ${cell(r.baseline)} | ${cell(r.ratio)} | ${r.budget ?? ""} |`),
  ].join("\n") + extra;
  writeFileSync(join(dir, "latest.json"), JSON.stringify(results, null, 2));
  writeFileSync(join(dir, "latest.md"), md + "\n");
  console.log("\n" + md);
}

/** Servers to stop if a run fails: left running, they hold the ports and the next run cannot start. */
const running: { stop(): Promise<void> }[] = [];

main().catch(async (err) => {
  console.error(err);
  await Promise.allSettled(running.map((s) => s.stop()));
  process.exit(1);
});

/**
 * `npm run bench`: measures the service against baselines in the same runtime, on this machine.
 * Every figure is the median of BENCH_RUNS runs (default 3) with min and max. Results go to
 * bench/results/latest.json and bench/results/latest.md. BENCH_QUICK=1 shrinks the loads.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, startDev, startReceiver } from "./lib/processes.ts";
import { INGEST_HEADERS, SECRET, eventBody, setupOrganisation } from "./lib/service.ts";
import { round, summarise, type Summary } from "./lib/stats.ts";
import { baselineEndToEnd, ingestThroughput, serviceEndToEnd, steadyRate, type EndToEnd } from "./scenarios.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const QUICK = process.env.BENCH_QUICK === "1";
const SECONDS = QUICK ? 5 : 10;
const E2E_ONE = QUICK ? 2000 : 10_000;
const E2E_TEN = QUICK ? 200 : 1000;
const STEADY_SECONDS = QUICK ? 15 : 60;

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

async function main() {
  const receiver = await startReceiver(SECRET);
  const results: Record<string, unknown> = { runs: RUNS, quick: QUICK, at: new Date().toISOString() };

  console.log("baseline worker");
  const base = await startDev({ config: join(ROOT, "bench/baseline/wrangler.toml"), port: 8811 });
  const bare = await repeat("bare route", () => ingestThroughput(`${base.url}/bare`, { "Content-Type": "application/json" }, "{}", SECONDS));
  const baseOne = await repeat("bare consumer 1x", () => baselineEndToEnd(base, receiver, E2E_ONE, 1));
  const baseTen = await repeat("bare consumer 10x", () => baselineEndToEnd(base, receiver, E2E_TEN, 10));
  await base.stop();

  console.log("service");
  const dev = await startDev({ config: join(ROOT, "wrangler.toml"), port: 8812, migrate: true });
  const orgNoSubs = await setupOrganisation(dev.url, receiver.url, 1, false);
  const ingestBare = await repeat("ingest, no subscriber", () => ingestThroughput(`${dev.url}/v1/events`, INGEST_HEADERS, eventBody(orgNoSubs), SECONDS));
  const orgOne = await setupOrganisation(dev.url, receiver.url, 1);
  const ingestOne = await repeat("ingest, 1 subscriber", () => ingestThroughput(`${dev.url}/v1/events`, INGEST_HEADERS, eventBody(orgOne), SECONDS));
  await new Promise((r) => setTimeout(r, 5000)); // let the backlog from the ingest runs drain
  const one = await repeat("end to end 1 webhook", () => serviceEndToEnd(dev, receiver, E2E_ONE, 1));
  const ten = await repeat("end to end 10 webhooks", () => serviceEndToEnd(dev, receiver, E2E_TEN, 10));
  const steady = await repeat("steady 100/s", () => steadyRate(dev, receiver, 100, STEADY_SECONDS));
  await dev.stop();
  receiver.stop();

  const ratio = (a: number[], b: number[]) => summarise(a.map((x, i) => x / b[i]!));
  const rps = (xs: { rps: number }[]) => xs.map((x) => x.rps);
  const dps = (xs: EndToEnd[]) => xs.map((x) => x.deliveriesPerSecond);
  rows.push(
    { figure: "Ingest throughput, no subscriber (c=50)", unit: "req/s", service: pick(ingestBare, (x) => x.rps), baseline: pick(bare, (x) => x.rps), ratio: ratio(rps(ingestBare), rps(bare)), budget: ">= 0.6" },
    { figure: "Ingest throughput, 1 subscriber (c=50)", unit: "req/s", service: pick(ingestOne, (x) => x.rps), baseline: pick(bare, (x) => x.rps), ratio: ratio(rps(ingestOne), rps(bare)), budget: ">= 0.6" },
    { figure: "Ingest latency p50, 1 subscriber", unit: "ms", service: pick(ingestOne, (x) => x.p50), baseline: pick(bare, (x) => x.p50) },
    { figure: "Ingest latency p99, 1 subscriber", unit: "ms", service: pick(ingestOne, (x) => x.p99), baseline: pick(bare, (x) => x.p99) },
    { figure: `End to end, ${E2E_ONE} events → 1 webhook`, unit: "deliveries/s", service: pick(one, (x) => x.deliveriesPerSecond), baseline: pick(baseOne, (x) => x.deliveriesPerSecond), ratio: ratio(dps(one), dps(baseOne)), budget: ">= 0.5" },
    { figure: `  ingest-to-receipt p50 / p99`, unit: "ms", service: pick(one, (x) => x.p50), baseline: pick(baseOne, (x) => x.p50) },
    { figure: `  p99`, unit: "ms", service: pick(one, (x) => x.p99), baseline: pick(baseOne, (x) => x.p99) },
    { figure: `  missing / duplicates / bad signatures`, unit: "count", service: pick(one, (x) => x.missing + x.duplicates + x.badSignatures) },
    { figure: `End to end, ${E2E_TEN} events → 10 webhooks`, unit: "deliveries/s", service: pick(ten, (x) => x.deliveriesPerSecond), baseline: pick(baseTen, (x) => x.deliveriesPerSecond), ratio: ratio(dps(ten), dps(baseTen)), budget: ">= 0.5" },
    { figure: `  ingest-to-receipt p50`, unit: "ms", service: pick(ten, (x) => x.p50), baseline: pick(baseTen, (x) => x.p50) },
    { figure: `  p99`, unit: "ms", service: pick(ten, (x) => x.p99), baseline: pick(baseTen, (x) => x.p99) },
    { figure: `  missing / duplicates / bad signatures`, unit: "count", service: pick(ten, (x) => x.missing + x.duplicates + x.badSignatures) },
    { figure: `Steady 100 events/s for ${STEADY_SECONDS} s: ingest-to-receipt p99`, unit: "ms", service: pick(steady, (x) => x.p99), budget: "< 2000" },
    { figure: `  missing`, unit: "count", service: pick(steady, (x) => x.missing), budget: "0" },
  );
  Object.assign(results, { ingestBare, ingestOne, bare, one, ten, baseOne, baseTen, steady, rows });
  write(results, profile([...one, ...ten]));
}

function cell(s?: Summary) {
  return s ? `${round(s.median, 2)} (${round(s.min, 2)}–${round(s.max, 2)})` : "";
}

/** Where the time goes: ingest's Server-Timing phases and the consumer's per-batch log lines. */
function profile(runs: EndToEnd[]): string {
  const lines = ["", "Profile (end-to-end runs): ingest phases from Server-Timing, consumer from its per-batch log line.", ""];
  lines.push("| run | ingest d1 p50 / p99 ms | ingest queue p50 / p99 ms | batches | messages per batch | load / send / record / effects ms per batch |", "| --- | --- | --- | --- | --- | --- |");
  runs.forEach((r, i) => {
    const p = r.ingestPhases ?? {};
    const c = r.consumer;
    const ms = c ? ["load", "send", "record", "effects"].map((k) => round(c.msPerBatch[k] ?? 0)).join(" / ") : "";
    lines.push(`| ${i + 1} | ${round(p.d1?.p50 ?? NaN)} / ${round(p.d1?.p99 ?? NaN)} | ${round(p.queue?.p50 ?? NaN)} / ${round(p.queue?.p99 ?? NaN)} | ${c?.batches ?? ""} | ${round(c?.messagesPerBatch ?? NaN)} | ${ms} |`);
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

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

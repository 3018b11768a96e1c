/**
 * `npm run bench:logs`: delivery logs, statistics and CSV export at 10 thousand, 100 thousand and
 * 1 million attempts on one webhook, in wrangler dev on this machine. What matters is how each
 * figure grows from the smallest log to the largest: a page and the stats should not grow at all.
 *
 * Each size is its own webhook whose attempts (the pattern of test/helpers/seed-sql.ts) are
 * spread evenly over the same 20 days, as traffic within the retention would be: about 20
 * DeliveryLog partitions each, so the sizes differ in rows per partition, not in partitions. (A
 * page and the stats cost one partition call per live day, at most the retention's days, whatever
 * the rows.) They are written from inside the partitions by a seeding Worker of the service's
 * script name while the service is stopped (bench/lib/seed-logs.ts), then the service is started
 * on the same state. Results: bench/results/logs.json and a markdown table on stdout.
 *
 * Memory is that of workerd, which locally also runs the Durable Objects (SQLite), D1 and R2:
 * reading a million rows raises it by itself, export or not. The export job holds one 5 MiB part
 * and one page of rows; the figure to compare with the file size is the growth in the second run.
 * BENCH_LOG_SIZES=10000,100000 picks other sizes (BENCH_QUICK=1: 2,000 and 20,000);
 * BENCH_LOG_SAMPLES the requests per figure.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seededAttempt, type SeedSpec } from "../test/helpers/seed-sql.ts";
import { memoryOf, startPersistedDev, wrangler, type Dev } from "./lib/persisted-dev.ts";
import { ROOT } from "./lib/processes.ts";
import { seedLogs } from "./lib/seed-logs.ts";
import { percentile, round } from "./lib/stats.ts";

const QUICK = process.env.BENCH_QUICK === "1";
const SIZES = (process.env.BENCH_LOG_SIZES ?? (QUICK ? "2000,20000" : "10000,100000,1000000")).split(",").map(Number);
const SAMPLES = Number(process.env.BENCH_LOG_SAMPLES ?? (QUICK ? 10 : 40));
const PORT = Number(process.env.BENCH_LOG_PORT ?? 8821);
// Every log spans the same 20 days (inside the 30-day retention), two attempts per step.
const SPAN_MS = 20 * 86_400_000;
const START = Date.now() - SPAN_MS - 3_600_000;
const specOf = (organisationId: number, webhookId: string, size: number): SeedSpec => ({
  organisationId, webhookId, tag: "b", count: size, start: START, stepMs: Math.floor(SPAN_MS / (size / 2)),
});

const ADMIN = { Authorization: "Bearer dev-admin-token", "Content-Type": "application/json" };

async function json(url: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(url, init);
  const body = await res.json();
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** p50 and p95 of `n` timed calls, after a few unmeasured ones. */
async function timed(n: number, call: () => Promise<unknown>) {
  for (let i = 0; i < 3; i++) await call();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call();
    ms.push(performance.now() - t);
  }
  return { p50: round(percentile(ms, 50), 2), p95: round(percentile(ms, 95), 2) };
}

/** The cursor the API would give after the row `i` of the seeded pattern (its format is ours). */
const cursorAt = (spec: SeedSpec, i: number) => {
  const a = seededAttempt(i, spec);
  return Buffer.from(`${a.created_at}.${a.id}`).toString("base64url");
};

/** What the stats must say of the pattern: test sends and skips left out, anything but a success a failure. */
function expectedStats(spec: SeedSpec) {
  let total = 0;
  let successful = 0;
  for (let i = 0; i < spec.count; i++) {
    const a = seededAttempt(i, spec);
    if (a.test !== 0 || a.status === "skipped") continue;
    total++;
    if (a.status === "success") successful++;
  }
  return { total_deliveries: total, successful_deliveries: successful, failed_deliveries: total - successful };
}

async function measure(dev: Dev, auth: Record<string, string>, spec: SeedSpec) {
  const { webhookId, count: size } = spec;
  const iso = (i: number) => new Date(seededAttempt(i, spec).created_at).toISOString();
  const range = `from=${iso(Math.floor(size / 4))}&to=${iso(Math.floor((size * 3) / 4))}`;
  const pages: Record<string, string> = {
    "newest page": "",
    "status=failed": "status=failed",
    "event": "event=units.low_balance",
    "status+event": "status=failed&event=units.low_balance",
    "date range (middle half)": range,
    "status=retrying+range": `status=retrying&${range}`,
    "cursor in the middle": `cursor=${cursorAt(spec, Math.floor(size / 2))}`,
    "range + cursor in the middle": `${range}&cursor=${cursorAt(spec, Math.floor(size / 2))}`,
    "limit=500": "limit=500",
  };
  const logs: Record<string, { p50: number; p95: number }> = {};
  for (const [name, query] of Object.entries(pages)) {
    const url = `${dev.url}/v1/webhooks/${webhookId}/logs?${query}`;
    const first = await json(url, { headers: auth });
    if (first.data.length === 0) throw new Error(`${name}: empty page`);
    logs[name] = await timed(SAMPLES, () => json(url, { headers: auth }));
    console.log(`  logs ${name}: ${JSON.stringify(logs[name])}`);
  }
  const statsUrl = `${dev.url}/v1/webhooks/${webhookId}/stats`;
  // The service reads what the seeder wrote: every partition registered with the head, every row counted.
  const said = await json(statsUrl, { headers: auth });
  const expected = expectedStats(spec);
  for (const [k, v] of Object.entries(expected)) if (said[k] !== v) throw new Error(`stats say ${k} ${said[k]}, the seeded log has ${v}`);
  const stats = await timed(SAMPLES * 2, () => json(statsUrl, { headers: auth }));
  console.log(`  stats: ${JSON.stringify(stats)} ${JSON.stringify(said)}`);
  // Twice: the first run also fills the partitions' SQLite caches (inside workerd), the second
  // shows what an export adds once they are warm.
  const first = await exportAll(dev, auth, webhookId, size);
  return { logs, stats, export: first, exportAgain: await exportAll(dev, auth, webhookId, size) };
}

/**
 * Exports the whole log, sampling the memory of workerd every 50 ms while it runs, and timing
 * a logs page every 100 ms meanwhile: the API must keep answering during an export.
 */
async function exportAll(dev: Dev, auth: Record<string, string>, webhookId: string, size: number) {
  const seen = new Set<number>();
  // Looked up on every sample: a workerd that exits and is restarted must not go unnoticed.
  const rssNow = () =>
    dev.workerdPids().reduce((sum, pid) => {
      seen.add(pid);
      return sum + (memoryOf(pid)?.rss ?? 0);
    }, 0);
  const before = rssNow();
  const pidsBefore = seen.size;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssNow())), 50);
  let exporting = true;
  const pageMs: number[] = [];
  const pinger = (async () => {
    while (exporting) {
      const t0 = performance.now();
      await json(`${dev.url}/v1/webhooks/${webhookId}/logs?status=failed`, { headers: auth });
      pageMs.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const t = performance.now();
  const created = await json(`${dev.url}/v1/webhooks/${webhookId}/logs/export`, { method: "POST", headers: auth });
  let state: any;
  do {
    await new Promise((r) => setTimeout(r, 200));
    state = await json(`${dev.url}/v1/exports/${created.id}`, { headers: auth });
  } while (state.status === "pending" || state.status === "running");
  const seconds = (performance.now() - t) / 1000;
  clearInterval(sampler);
  exporting = false;
  await pinger;
  if (state.status !== "done" || state.rows !== size) throw new Error(`export ended ${state.status} with ${state.rows} rows`);
  const res = await fetch(`${dev.url}/v1/exports/${created.id}/download`, { headers: auth });
  const bytes = Number(res.headers.get("Content-Length"));
  await res.body?.cancel();
  const out = {
    rows: state.rows,
    seconds: round(seconds, 2),
    rowsPerSecond: Math.round(state.rows / seconds),
    megabytes: round(bytes / 2 ** 20, 1),
    workerdRssBeforeMiB: round(before, 1),
    workerdRssPeakMiB: round(peak, 1),
    workerdPeakOverBeforeMiB: round(peak - before, 1),
    workerdPids: pidsBefore,
    workerdRestarts: seen.size - pidsBefore,
    logsPageDuringExport: { p50: round(percentile(pageMs, 50), 1), p95: round(percentile(pageMs, 95), 1), max: round(Math.max(...pageMs), 1) },
  };
  console.log(`  export: ${JSON.stringify(out)}`);
  return out;
}

async function main() {
  const state = mkdtempSync(join(tmpdir(), "nafsi-logs-bench-"));
  const results: Record<string, any> = { at: new Date().toISOString(), samples: SAMPLES, spanDays: SPAN_MS / 86_400_000, sizes: {} };
  try {
    await wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", state]);
    let dev = await startPersistedDev(state, PORT);
    const org = await json(`${dev.url}/v1/organisations`, { method: "POST", headers: ADMIN, body: JSON.stringify({ name: "Logs bench", notification_email: "bench@example.com" }) });
    const auth = { Authorization: `Bearer ${org.api_key}`, "Content-Type": "application/json" };
    const specs: SeedSpec[] = [];
    for (const size of SIZES) {
      const wh = await json(`${dev.url}/v1/webhooks`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ type: "event_notification", name: `Logs bench ${size}`, url: "https://api.myapp.com/webhooks/nafsi", events: ["verification.completed"] }),
      });
      specs.push(specOf(org.id, wh.id, size));
    }
    await dev.stop();

    for (const spec of specs) {
      const size = spec.count;
      const seeded = await seedLogs(state, PORT + 1, spec);
      const seedSeconds = round(seeded.seconds, 1);
      console.log(`${size} attempts in ${seeded.partitions} partitions (seeded in ${seedSeconds} s)`);
      dev = await startPersistedDev(state, PORT);
      try {
        results.sizes[size] = { seedSeconds, partitions: seeded.partitions, ...(await measure(dev, auth, spec)) };
      } finally {
        await dev.stop();
      }
    }
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(join(ROOT, "bench/results/logs.json"), JSON.stringify(results, null, 2));
  console.log("\n" + table(results.sizes));
}

function table(sizes: Record<string, any>): string {
  const keys = Object.keys(sizes);
  const first = sizes[keys[0]!];
  const last = sizes[keys[keys.length - 1]!];
  const growth = (a: number, b: number) => `×${round(b / a, 2)}`;
  const head = `| figure | ${keys.map((k) => `${Number(k).toLocaleString("en")} attempts`).join(" | ")} | growth |\n|---|${keys.map(() => "---").join("|")}|---|`;
  const rows: string[] = [];
  for (const name of Object.keys(first.logs)) {
    const cell = (s: any) => `${s.logs[name].p50} / ${s.logs[name].p95}`;
    rows.push(`| logs: ${name}, p50 / p95 ms | ${keys.map((k) => cell(sizes[k])).join(" | ")} | ${growth(first.logs[name].p50, last.logs[name].p50)} (p50) |`);
  }
  rows.push(`| stats, p50 / p95 ms | ${keys.map((k) => `${sizes[k].stats.p50} / ${sizes[k].stats.p95}`).join(" | ")} | ${growth(first.stats.p50, last.stats.p50)} (p50) |`);
  rows.push(`| export, rows/s: 1st / 2nd run | ${keys.map((k) => `${sizes[k].export.rowsPerSecond} / ${sizes[k].exportAgain.rowsPerSecond}`).join(" | ")} | ${growth(first.export.rowsPerSecond, last.export.rowsPerSecond)} |`);
  rows.push(`| export, s (MiB of CSV) | ${keys.map((k) => `${sizes[k].export.seconds} (${sizes[k].export.megabytes})`).join(" | ")} | |`);
  rows.push(`| export, workerd RSS peak over before, MiB: 1st / 2nd run | ${keys.map((k) => `${sizes[k].export.workerdPeakOverBeforeMiB} / ${sizes[k].exportAgain.workerdPeakOverBeforeMiB} (peak ${sizes[k].exportAgain.workerdRssPeakMiB})`).join(" | ")} | |`);
  rows.push(`| logs page while exporting, p50 / p95 ms | ${keys.map((k) => `${sizes[k].export.logsPageDuringExport.p50} / ${sizes[k].export.logsPageDuringExport.p95}`).join(" | ")} | |`);
  rows.push(`| partitions (days) | ${keys.map((k) => sizes[k].partitions).join(" | ")} | |`);
  rows.push(`| seeding, s | ${keys.map((k) => sizes[k].seedSeconds).join(" | ")} | |`);
  return [head, ...rows].join("\n");
}

await main();

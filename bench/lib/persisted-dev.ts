/**
 * The worker in local dev on a state directory that outlives it, for the log benchmark, which
 * fills the Durable Objects' storage between runs with a seeding Worker of the same script name
 * (bench/lib/seed-logs.ts) that must not share the state with a running service, and the memory
 * of workerd from /proc.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./processes.ts";

// Run wrangler's own entry point on this Node (npm run puts Node 22 first on PATH).
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

export function wrangler(args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const p = spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
    let err = "";
    p.stderr!.on("data", (d) => (err += d));
    p.on("exit", (code) => (code === 0 ? ok() : fail(new Error(`wrangler ${args.slice(0, 3).join(" ")} failed: ${err.slice(-2000)}`))));
  });
}

export interface Dev {
  url: string;
  /** The workerd processes under this dev server. */
  workerdPids(): number[];
  stop(): Promise<void>;
}

/**
 * The worker of wrangler.toml, bundled once and not watched: the working tree is shared, and a
 * file saved by someone else must not reload the worker (and kill an export) in mid-measure.
 * `entrypoint` replaces its main module and keeps the rest of the config (name, bindings).
 */
export async function startPersistedDev(state: string, port: number, entrypoint?: string): Promise<Dev> {
  process.env.WRANGLER_LOG ??= "warn";
  process.env.WRANGLER_SEND_METRICS = "false";
  const { unstable_startWorker } = await import("wrangler");
  const worker = await unstable_startWorker({
    config: join(ROOT, "wrangler.toml"),
    ...(entrypoint ? { entrypoint } : {}),
    dev: { server: { hostname: "127.0.0.1", port }, persist: state, watch: false, inspector: false },
  });
  await worker.ready;
  const url = `http://127.0.0.1:${port}`;
  await (await fetch(`${url}/`)).arrayBuffer();
  return {
    url,
    workerdPids: () => descendants(process.pid).filter((pid) => comm(pid) === "workerd"),
    stop: () => worker.dispose(),
  };
}

const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
};

function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, ppid] of parent) if (ppid === pid) out.push(child), walk(child);
  };
  walk(root);
  return out;
}

/** Resident and peak-resident memory (VmRSS, VmHWM) of a process, in MiB; null once it has exited. */
export function memoryOf(pid: number): { rss: number; hwm: number } | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kib("VmRSS") / 1024, hwm: kib("VmHWM") / 1024 };
}

/**
 * wrangler dev on a state directory that outlives it, for benchmarks that fill D1 between runs
 * (the log benchmark seeds a million attempts with `wrangler d1 execute`, which must not share the
 * database with a running dev server), and the memory of its workerd process from /proc.
 */
import { spawn } from "node:child_process";
import { mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
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

/** Runs SQL against the local D1 of `state` (the dev server must be stopped). */
export async function executeSql(state: string, sql: string): Promise<void> {
  const file = join(state, "seed.sql");
  writeFileSync(file, sql);
  await wrangler(["d1", "execute", "DB", "--local", "--persist-to", state, "--file", file]);
}

export interface Dev {
  url: string;
  /** The workerd processes under this dev server. */
  workerdPids(): number[];
  stop(): Promise<void>;
}

export async function startPersistedDev(state: string, port: number): Promise<Dev> {
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  const log = openSync(join(ROOT, "bench/results", `wrangler-${port}.log`), "a");
  const child = spawn(process.execPath, [WRANGLER, "dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", state, "--log-level", "warn"], {
    cwd: ROOT,
    stdio: ["ignore", log, log],
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 90_000;
  for (;;) {
    try {
      await (await fetch(`${url}/`)).arrayBuffer();
      break;
    } catch {
      if (Date.now() > until || child.exitCode !== null) throw new Error("wrangler dev did not start; see bench/results/wrangler-*.log");
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    url,
    workerdPids: () => descendants(child.pid!).filter((pid) => comm(pid) === "workerd"),
    async stop() {
      const gone = new Promise((r) => child.once("exit", r));
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        return;
      }
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
      await new Promise((r) => setTimeout(r, 500));
    },
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

/** Resident and peak-resident memory (VmRSS, VmHWM) of a process, in MiB. */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kib("VmRSS") / 1024, hwm: kib("VmHWM") / 1024 };
}

/** Child processes of the benchmark: wrangler dev, the receiver and the load generator. */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "node_modules", ".bin");

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const p = spawn(join(BIN, cmd), args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr!.on("data", (d) => (err += d));
    p.on("exit", (code) => (code === 0 ? ok() : fail(new Error(`${cmd} ${args.join(" ")} failed: ${err}`))));
  });
}

export interface DevServer {
  url: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

/** wrangler dev on a fresh persisted state, migrations applied when the config has D1. */
export async function startDev(opts: { config: string; port: number; vars?: Record<string, string>; migrate?: boolean; extraArgs?: string[] }): Promise<DevServer> {
  const state = mkdtempSync(join(tmpdir(), "nafsi-bench-"));
  if (opts.migrate) await run("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--config", opts.config, "--persist-to", state]);
  const vars = Object.entries(opts.vars ?? {}).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  // wrangler's output goes to a file: an undrained pipe would block it once the buffer is full.
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  const logFile = join(ROOT, "bench/results", `wrangler-${opts.port}.log`);
  const log = openSync(logFile, "w");
  const child = spawn(join(BIN, "wrangler"), ["dev", "--config", opts.config, "--port", String(opts.port), "--persist-to", state, "--log-level", "log", ...vars, ...(opts.extraArgs ?? [])], {
    cwd: ROOT,
    stdio: ["ignore", log, log],
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const url = `http://127.0.0.1:${opts.port}`;
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/`);
      await res.arrayBuffer();
      break;
    } catch {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`wrangler dev (${opts.config}) did not start`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    url,
    pid: child.pid!,
    logFile,
    async stop() {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        /* gone already */
      }
      await new Promise((r) => setTimeout(r, 1000));
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
      rmSync(state, { recursive: true, force: true });
    },
  };
}

export interface Receiver {
  url: string;
  stats(prefix?: string): Promise<{ count: number; unique: number; duplicates: number; badSignatures: number; ids: string[]; latencies: number[]; first: number; last: number }>;
  reset(): Promise<void>;
  /** Answers every request still held by /hang (503). */
  release(): Promise<void>;
  stop(): void;
}

export async function startReceiver(secret: string): Promise<Receiver> {
  const child: ChildProcess = fork(join(import.meta.dirname, "receiver-process.ts"), [], { env: { ...process.env, BENCH_SECRET: secret }, stdio: "ignore" });
  const port = await new Promise<number>((ok) => child.once("message", (m) => ok((m as { port: number }).port)));
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    stats: async (prefix = "/") => (await fetch(`${url}/stats?prefix=${encodeURIComponent(prefix)}`)).json() as never,
    reset: async () => void (await fetch(`${url}/reset`)),
    release: async () => void (await fetch(`${url}/release`)),
    stop: () => void child.kill(),
  };
}

/** Runs bench/lib/load-process.ts with a job, in its own process, and answers its JSON result. */
export function runLoad<T>(job: Record<string, unknown>): Promise<T> {
  return new Promise((ok, fail) => {
    const child = fork(join(import.meta.dirname, "load-process.ts"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.once("message", (m) => ok(m as T));
    child.once("error", fail);
    child.once("exit", (code) => code !== 0 && fail(new Error(`load process exited ${code}`)));
    child.send(job);
  });
}

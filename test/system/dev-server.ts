/** `wrangler dev` as a real process for system tests: started on a persisted state, killed hard. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
// wrangler needs Node 22, which the npm package `node` puts first on PATH for npm scripts.
const ENV = { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`, WRANGLER_SEND_METRICS: "false" };

export function applyMigrations(state: string) {
  const r = spawnSync(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], { cwd: ROOT, env: ENV, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`migrations failed: ${r.stderr}`);
}

/**
 * A fresh directory for a test file's persisted state. After the file's tests, what `running`
 * names then is stopped (wrangler dev killed, the receiver and its connections closed) and the
 * directory removed.
 */
export function systemState(name: string, running: () => { dev?: Dev; receiver?: Server }): string {
  const state = mkdtempSync(join(tmpdir(), `nafsi-${name}-`));
  afterAll(() => {
    const { dev, receiver } = running();
    dev?.killHard();
    receiver?.closeAllConnections();
    receiver?.close();
    rmSync(state, { recursive: true, force: true });
  });
  return state;
}

export interface Dev {
  url: string;
  process: ChildProcess;
  /** SIGKILL to the whole process group: wrangler and workerd die without any cleanup. */
  killHard(): void;
}

/** Ready when the port accepts a TCP connection: no HTTP request is made (it would arm the local clock). */
function portOpen(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), ok(true)));
    socket.once("error", () => ok(false));
  });
}

export async function startDev(state: string, port: number, vars: Record<string, string>, logFile: string): Promise<Dev> {
  const log = openSync(logFile, "a");
  const args = ["dev", "--port", String(port), "--persist-to", state, ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])];
  const child = spawn(WRANGLER, args, { cwd: ROOT, env: ENV, stdio: ["ignore", log, log], detached: true });
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 60_000;
  while (!(await portOpen(port))) {
    if (Date.now() > until) throw new Error(`wrangler dev did not start; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    process: child,
    killHard() {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
    },
  };
}

/** POST a JSON body with a bearer token to the dev server; answers the JSON, throws on a non-2xx. */
export async function post(url: string, token: string, body?: unknown): Promise<Record<string, any>> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const out = (await res.json()) as Record<string, any>;
  if (res.status >= 300) throw new Error(`${url} → ${res.status} ${JSON.stringify(out)}`);
  return out;
}

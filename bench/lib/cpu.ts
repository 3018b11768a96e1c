/**
 * CPU time of a `wrangler dev` process group by role, read from /proc (Linux): wrangler's own
 * Node process, the workerd that fronts the port (wrangler's proxy) and the workerd that runs
 * the worker with its bindings (D1, queues, Durable Objects all live in that one process).
 * Differences over a run, divided by the requests served, say where the time per request goes.
 */
import { readFileSync, readdirSync } from "node:fs";

export type Role = "wrangler" | "proxy" | "worker";
export type CpuSample = Record<Role, number>;

const TICK_MS = 10; // USER_HZ is 100 on Linux

function role(cmdline: string): Role | null {
  if (cmdline.includes("workerd")) return cmdline.includes("--inspector-addr") ? "worker" : "proxy";
  if (cmdline.includes("wrangler")) return "wrangler";
  return null;
}

/** CPU milliseconds used so far by each role in the process group `pgrp` (null off Linux). */
export function cpuOf(pgrp: number): CpuSample | null {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return null;
  }
  const out: CpuSample = { wrangler: 0, proxy: 0, worker: 0 };
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgrp) continue; // field 5 of stat: process group
      const r = role(readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " "));
      if (r) out[r] += (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime + stime
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** CPU milliseconds per unit of work between two samples. */
export function perUnit(before: CpuSample | null, after: CpuSample | null, units: number): CpuSample | null {
  if (!before || !after || units <= 0) return null;
  return { wrangler: (after.wrangler - before.wrangler) / units, proxy: (after.proxy - before.proxy) / units, worker: (after.worker - before.worker) / units };
}

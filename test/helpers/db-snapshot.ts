/** "Nothing was written": a digest of every row of every table of D1, to compare before and after. */
import { env } from "cloudflare:workers";

async function tables(): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations' ORDER BY name",
  ).all<{ name: string }>();
  return results.map((r) => r.name);
}

/** Per table: its row count and a SHA-256 of all its rows, so an update shows as well as an insert. */
export async function dbSnapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const names = await tables();
  const all = await env.DB.batch(names.map((t) => env.DB.prepare(`SELECT * FROM "${t}"`)));
  for (const [i, t] of names.entries()) {
    const rows = all[i]!.results;
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(rows)));
    out[t] = `${rows.length}:${[...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16)}`;
  }
  return out;
}

/**
 * What one organisation has in D1, and what R2 holds: to show that a call made by another
 * organisation changed nothing of it (test/tenant-isolation.test.ts).
 */
import { env } from "cloudflare:workers";

const digest = async (value: unknown) => {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(value)));
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16);
};

/**
 * Per table, the rows that belong to the organisation: by organisation_id where the table has
 * one, by webhook otherwise. A table that has neither is reported, so a new one is not missed.
 */
export async function organisationSnapshot(organisationId: number): Promise<Record<string, string>> {
  const { results: tables } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT IN ('d1_migrations', 'latency_bounds') ORDER BY name",
  ).all<{ name: string }>();
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const { results: cols } = await env.DB.prepare(`PRAGMA table_info("${name}")`).all<{ name: string }>();
    const has = (c: string) => cols.some((col) => col.name === c);
    const where = name === "organisations" ? "id = ?1"
      : has("organisation_id") ? "organisation_id = ?1"
      : has("webhook_id") ? "webhook_id IN (SELECT id FROM webhooks WHERE organisation_id = ?1)"
      : null;
    if (!where) {
      out[name] = "NOT SCOPED: neither organisation_id nor webhook_id";
      continue;
    }
    const { results } = await env.DB.prepare(`SELECT * FROM "${name}" WHERE ${where}`).bind(organisationId).all();
    out[name] = `${results.length}:${await digest(results.map((r) => JSON.stringify(r)).sort())}`;
  }
  return out;
}

/** Every object of the exports bucket: key, size and ETag. */
export async function r2Snapshot(): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.EXPORTS.list({ cursor });
    out.push(...page.objects.map((o) => `${o.key} ${o.size} ${o.etag}`));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return out.sort();
}

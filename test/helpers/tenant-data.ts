/**
 * What one organisation has in D1 and in the storage objects, and what R2 holds: to show that a
 * call made by another organisation changed nothing of it (test/tenant-isolation.test.ts). Since
 * issue 15 its events, deliveries, attempts and statistics live in objects, not in D1.
 */
import { env } from "cloudflare:workers";
import { dayOf, EVENT_SHARDS } from "../../src/storage/partitions";
import { withoutObjectTimers, withoutSummary } from "./db-snapshot";
import { objectTables, type ObjectTable } from "./object-storage";

const digest = async (value: unknown) => {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(value)));
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16);
};

/**
 * The organisation's objects as their names make them: its event shards, and the head and the
 * partition of every day the retention keeps (and the next) of each of its webhooks.
 */
function namedObjects(organisationId: number, webhookIds: string[]): Set<string> {
  const retention = Number(env.LOG_RETENTION_DAYS);
  if (!Number.isSafeInteger(retention) || retention < 1) throw new Error(`LOG_RETENTION_DAYS is not a number of days: ${env.LOG_RETENTION_DAYS}`);
  const today = dayOf(Date.now());
  const days = Array.from({ length: retention + 4 }, (_, i) => today + 1 - i);
  const named = (ns: { idFromName(name: string): DurableObjectId }, label: string, name: string) => `${label} ${ns.idFromName(name).toString()}`;
  return new Set([
    ...Array.from({ length: EVENT_SHARDS }, (_, s) => named(env.EVENT_SHARD, "EventShard", `${organisationId}:${s}`)),
    ...webhookIds.flatMap((w) => [
      named(env.WEBHOOK_HEALTH, "WebhookHealth", `${organisationId}:${w}`),
      ...days.map((day) => named(env.DELIVERY_LOG, "DeliveryLog", `${organisationId}:${w}:${day}`)),
    ]),
  ]);
}

/** The organisation an object says it serves (the first call's, which it stored); undefined when it does not say. */
function claimedBy(t: ObjectTable): number | undefined {
  const kv = (key: string) => (t.label.endsWith(" (kv)") ? (t.rows as [string, unknown][]).find(([k]) => k === key)?.[1] : undefined);
  if (t.object.startsWith("DeliveryLog ") && t.label.endsWith(" meta")) {
    const scope = (t.rows as { key: string; value: string }[]).find((r) => r.key === "scope");
    return scope ? (JSON.parse(scope.value) as { organisationId: number }).organisationId : undefined;
  }
  if (t.object.startsWith("WebhookHealth ")) return (kv("owner") as { organisationId: number } | undefined)?.organisationId;
  if (t.object.startsWith("EventShard ")) return kv("organisation") as number | undefined;
  return undefined;
}

/**
 * Per table of every object of the organisation (by its name, or by the organisation it says it
 * serves, so one misnamed is not missed): row count and digest. Left out as in dbSnapshot: empty
 * tables (an object only looked up) and the timers an object's own alarm moves.
 */
async function objectSnapshot(organisationId: number): Promise<Record<string, string>> {
  const { results } = await env.DB.prepare("SELECT id FROM webhooks WHERE organisation_id = ?").bind(organisationId).all<{ id: string }>();
  const all = await objectTables();
  const owned = namedObjects(organisationId, results.map((r) => r.id));
  for (const t of all) if (claimedBy(t) === organisationId) owned.add(t.object);
  const out: Record<string, string> = {};
  for (const t of all) {
    if (!owned.has(t.object)) continue;
    const kept = withoutObjectTimers(t.label, t.rows);
    if (kept.length > 0) out[t.label] = `${kept.length}:${await digest(kept)}`;
  }
  return out;
}

/**
 * Per D1 table, the rows that belong to the organisation: by organisation_id where the table has
 * one, by webhook otherwise; a table that has neither is reported, so a new one is not missed.
 * The list summary the head's alarm rewrites after traffic is left out (withoutSummary: what it
 * sums is in the objects, compared in full). Then every table of the organisation's objects.
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
    const rows = withoutSummary(name, results as Record<string, unknown>[]);
    out[name] = `${rows.length}:${await digest(rows.map((r) => JSON.stringify(r)).sort())}`;
  }
  return { ...out, ...(await objectSnapshot(organisationId)) };
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

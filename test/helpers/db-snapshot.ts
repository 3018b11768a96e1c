/**
 * "Nothing was written": a digest of every row of every table of D1, and of every table and kv
 * of the storage objects (DeliveryLog partitions, EventShards, heads), to compare before and
 * after. Since issue 15 a request that wrote an event or a delivery changes an object, not D1,
 * so a snapshot of D1 alone would no longer see it.
 */
import { env } from "cloudflare:workers";
import { KEYS } from "../../src/durable/head/state";
import { objectTables } from "./object-storage";

/**
 * Left out: the webhook's summary for lists (webhook_stats' counts and times, webhooks'
 * failure_streak) and the head's timers for writing it. The head's alarm rewrites them from the
 * partitions and its streak some time after activity (src/durable/head/summary.ts), so they
 * change under a test that delivered just before; what they summarise is compared in full.
 */
const SUMMARY_COLUMNS: Record<string, string[]> = {
  webhook_stats: ["total", "successful", "failed", "last_success_at", "last_failure_at", "last_triggered_at"],
  webhooks: ["failure_streak"],
};
export const HEAD_TIMERS: string[] = [KEYS.refreshAt, KEYS.retentionRetryAt];
/**
 * Left out too: a partition's sweep mark (src/durable/delivery-log/meta.ts), which its own alarm
 * moves past deliveries once they are STALE old, whatever the test does meanwhile. The deliveries
 * it marks are compared in full.
 */
const PARTITION_TIMERS: string[] = ["sweep_mark"];

/** An object table's rows without the timers its own alarm moves (also for test/helpers/tenant-data.ts). */
export function withoutObjectTimers(label: string, rows: unknown[]): unknown[] {
  if (label.startsWith("WebhookHealth ") && label.endsWith(" (kv)")) return rows.filter((entry) => !HEAD_TIMERS.includes((entry as [string])[0]));
  if (label.startsWith("DeliveryLog ") && label.endsWith(" meta")) return rows.filter((row) => !PARTITION_TIMERS.includes((row as { key: string }).key));
  return rows;
}

/** A D1 table's rows without the summary columns (also for test/helpers/tenant-data.ts's per-organisation snapshot). */
export const withoutSummary = (table: string, rows: Record<string, unknown>[]) =>
  SUMMARY_COLUMNS[table] ? rows.map((r) => Object.fromEntries(Object.entries(r).filter(([c]) => !SUMMARY_COLUMNS[table]!.includes(c)))) : rows;

const digest = async (rows: unknown) => {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(rows)));
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16);
};

async function tables(): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations' ORDER BY name",
  ).all<{ name: string }>();
  return results.map((r) => r.name);
}

/**
 * Per table: its row count and a SHA-256 of all its rows, so an update shows as well as an insert.
 * An object's empty tables are left out: an object only looked up, or holding its empty schema,
 * has written nothing.
 */
export async function dbSnapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const names = await tables();
  const all = await env.DB.batch(names.map((t) => env.DB.prepare(`SELECT * FROM "${t}"`)));
  for (const [i, t] of names.entries()) {
    const rows = withoutSummary(t, all[i]!.results as Record<string, unknown>[]);
    out[t] = `${rows.length}:${await digest(rows)}`;
  }
  for (const { label, rows } of await objectTables()) {
    const kept = withoutObjectTimers(label, rows);
    if (kept.length > 0) out[label] = `${kept.length}:${await digest(kept)}`;
  }
  return out;
}

/**
 * Every row D1 writes, whoever writes it (the Worker, a queue consumer, a Durable Object's alarm):
 * SQLite triggers on every table log each insert, update and delete into a table of their own,
 * with the columns an update changed. Triggers fire inside SQLite, so no write path can go round
 * them, and an update that changes nothing (still a billed row) is logged too, which a digest of
 * the rows would miss. The schema is compared as well, so a table created (or altered) in the
 * window is a write even though no trigger watches it.
 *
 * Why not total_changes(): local D1 keeps one connection, but every request (a read too) also
 * writes one row of its own bookkeeping (_cf_METADATA), so the count needs the number of requests
 * made in the window, which the test cannot know. Why not meta.rows_written: only the caller of a
 * statement sees it, and the writes to catch are made by the Worker and its objects.
 *
 * The pool gives each test file its own D1, so the log holds the file's writes only.
 */
import { env } from "cloudflare:workers";

const LOG = "test_d1_writes";

export interface D1Write {
  table: string;
  op: "INSERT" | "UPDATE" | "DELETE";
  /** Whose row it is: those of organisation_id, webhook_id and id that the table has. */
  row: Record<string, unknown>;
  /** For an update, the columns whose value changed (empty: the same values written again). */
  changed: string[];
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

async function userTables(): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name <> ? ORDER BY name`,
  ).bind(LOG).all<{ name: string }>();
  return results.map((r) => r.name);
}

async function schema(): Promise<string> {
  const { results } = await env.DB.prepare(
    `SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'test\\_d1\\_%' ESCAPE '\\' AND tbl_name <> ? ORDER BY type, name`,
  ).bind(LOG).all();
  return JSON.stringify(results);
}

/** Installs the log and its triggers (idempotent) and empties the log. */
export async function watchD1Writes(): Promise<void> {
  const statements = [
    env.DB.prepare(`CREATE TABLE IF NOT EXISTS ${LOG} (seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, op TEXT NOT NULL, row TEXT NOT NULL, changed TEXT NOT NULL)`),
  ];
  for (const table of await userTables()) {
    const { results: cols } = await env.DB.prepare(`PRAGMA table_info(${quote(table)})`).all<{ name: string }>();
    const names = cols.map((c) => c.name);
    const keys = ["organisation_id", "webhook_id", "id"].filter((c) => names.includes(c));
    const rowOf = (ref: "NEW" | "OLD") => `json_object(${keys.map((k) => `${literal(k)}, ${ref}.${quote(k)}`).join(", ")})`;
    const changed = names.map((c) => `CASE WHEN OLD.${quote(c)} IS NOT NEW.${quote(c)} THEN ${literal(c + ",")} ELSE '' END`).join(" || ") || "''";
    const name = (op: string) => quote(`test_d1_writes_${table}_${op}`);
    const log = (op: string, ref: "NEW" | "OLD", cols: string) => `INSERT INTO ${LOG} (tbl, op, row, changed) VALUES (${literal(table)}, '${op}', ${rowOf(ref)}, ${cols})`;
    statements.push(
      env.DB.prepare(`CREATE TRIGGER IF NOT EXISTS ${name("i")} AFTER INSERT ON ${quote(table)} BEGIN ${log("INSERT", "NEW", "''")}; END`),
      env.DB.prepare(`CREATE TRIGGER IF NOT EXISTS ${name("u")} AFTER UPDATE ON ${quote(table)} BEGIN ${log("UPDATE", "NEW", changed)}; END`),
      env.DB.prepare(`CREATE TRIGGER IF NOT EXISTS ${name("d")} AFTER DELETE ON ${quote(table)} BEGIN ${log("DELETE", "OLD", "''")}; END`),
    );
  }
  statements.push(env.DB.prepare(`DELETE FROM ${LOG}`));
  await env.DB.batch(statements);
}

/** Removes the triggers and the log. */
export async function unwatchD1Writes(): Promise<void> {
  const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'test\\_d1\\_writes\\_%' ESCAPE '\\'").all<{ name: string }>();
  await env.DB.batch([...results.map((t) => env.DB.prepare(`DROP TRIGGER IF EXISTS ${quote(t.name)}`)), env.DB.prepare(`DROP TABLE IF EXISTS ${LOG}`)]);
}

/** A window to check: every D1 row written from now until `writes()`, and whether the schema changed. */
export async function startWindow() {
  await watchD1Writes();
  const before = await schema();
  return {
    async writes(): Promise<D1Write[]> {
      const { results } = await env.DB.prepare(`SELECT tbl, op, row, changed FROM ${LOG} ORDER BY seq`).all<{ tbl: string; op: D1Write["op"]; row: string; changed: string }>();
      const out: D1Write[] = results.map((r) => ({ table: r.tbl, op: r.op, row: JSON.parse(r.row), changed: r.changed.split(",").filter(Boolean) }));
      if ((await schema()) !== before) out.push({ table: "sqlite_master", op: "UPDATE", row: {}, changed: ["schema"] });
      return out;
    },
  };
}

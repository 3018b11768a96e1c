/**
 * What the storage objects hold, read from inside each one (runInDurableObject): every row of
 * every table and every kv entry of every DeliveryLog partition, EventShard and head
 * (WebhookHealth) this test file created. For the "nothing was written" snapshot and the
 * "no secret is stored in clear" dump, which covered all traffic while it was in D1.
 */
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";

export interface ObjectTable {
  /** Namespace, the object's id (shortened) and the table, or "(kv)" for its kv entries. */
  label: string;
  /** Namespace and the object's full id, "DeliveryLog <hex id>": which object the table is in. */
  object: string;
  rows: unknown[];
}

/** Internal tables: the runtime's, SQLite's and a migrator's bookkeeping. */
const INTERNAL = "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE '\\_\\_drizzle%' ESCAPE '\\'";

/** Reads one object's storage from inside it. */
function tablesOf(state: DurableObjectState): [string, unknown[]][] {
  const sql = state.storage.sql;
  const tables: [string, unknown[]][] = [];
  for (const { name } of sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND ${INTERNAL} ORDER BY name`).toArray()) {
    tables.push([name, sql.exec(`SELECT * FROM "${name}"`).toArray()]);
  }
  tables.push(["(kv)", [...state.storage.kv.list()]]);
  return tables;
}

/** The objects `ids` of one namespace, `stubOf` reaching each. */
async function contents(label: string, ids: DurableObjectId[], stubOf: (id: DurableObjectId) => DurableObjectStub): Promise<ObjectTable[]> {
  // All at once: each read is synchronous inside its object, so they do not interleave with themselves.
  const all = await Promise.all(ids.map((id) => runInDurableObject(stubOf(id), (_o: unknown, state: DurableObjectState) => tablesOf(state))));
  return all.flatMap((data, i) =>
    data.map(([name, rows]) => ({ label: `${label} ${ids[i]!.toString().slice(0, 16)} ${name}`, object: `${label} ${ids[i]!.toString()}`, rows })),
  );
}

/** Every table and kv of every traffic object and head, empty ones included. */
export async function objectTables(): Promise<ObjectTable[]> {
  const parts = await Promise.all([
    listDurableObjectIds(env.DELIVERY_LOG).then((ids) => contents("DeliveryLog", ids, (id) => env.DELIVERY_LOG.get(id))),
    listDurableObjectIds(env.EVENT_SHARD).then((ids) => contents("EventShard", ids, (id) => env.EVENT_SHARD.get(id))),
    listDurableObjectIds(env.WEBHOOK_HEALTH).then((ids) => contents("WebhookHealth", ids, (id) => env.WEBHOOK_HEALTH.get(id))),
  ]);
  return parts.flat();
}

/**
 * A partition's storage as its own code reads and writes it (the Log of
 * src/durable/delivery-log/context.ts), built on the storage runInDurableObject hands a test:
 * for seeding rows and for running the sweep with an environment of the test's making.
 */
import { drizzle } from "drizzle-orm/durable-sqlite";
import type { Log } from "../../src/durable/delivery-log/context";
import { SqlMeter } from "../../src/durable/delivery-log/meter";
import { schema } from "../../src/durable/delivery-log/schema";

export function logOf(storage: DurableObjectStorage): Log {
  const sql = new SqlMeter(storage);
  return { sql, db: drizzle(sql.forDrizzle(), { schema }), storage };
}

import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import type { SqlMeter } from "./meter";
import type { schema } from "./schema";

/** What the partition's queries run on: raw statements and Drizzle's, both on the one meter. */
export interface Log {
  sql: SqlMeter;
  db: DrizzleSqliteDODatabase<typeof schema>;
  /** For transactionSync. */
  storage: DurableObjectStorage;
}

/**
 * The schema is created on the partition's first write, not in every constructor. A read can
 * reach a partition that never held anything (a delivery id from a request names its day), and
 * creating tables there would leave a stored object behind that its webhook's head does not
 * know and so never drops. An object with storage runs the migrator in its constructor (under
 * blockConcurrencyWhile), so a later migration reaches every live partition when it wakes.
 */
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import type { Log } from "./context";
import { bundle } from "./migrations";

/** True when this object's storage has the partition's tables. One read of sqlite_master. */
export const hasSchema = (log: Log) =>
  log.sql.first("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'deliveries'") !== undefined;

/** Applies the migrations not yet applied, in one transaction (synchronous under the promise). */
export const applySchema = (log: Log) => migrate(log.db, bundle);

/**
 * The part of seeding that runs inside a DeliveryLog partition, on its storage: the schema by the
 * object's own migrator if it has none, its scope as accept() stores it, rows from..to of the
 * pattern (./seed-sql.ts) in one generated INSERT each into deliveries and attempts, and the
 * totals and minute rollups added by the object's own Tally, counted as record() counts. No
 * cloudflare:test here: the log tests run it through runInDurableObject (./seed-log.ts), and a
 * benchmark can run it in a class of its own that extends DeliveryLog, on a wrangler dev state
 * directory.
 */
import { Tally } from "../../src/durable/delivery-log/counting";
import { storeScope } from "../../src/durable/delivery-log/meta";
import { applySchema, hasSchema } from "../../src/durable/delivery-log/setup";
import type { LogScope } from "../../src/storage/contract";
import { logOf } from "./partition-log";
import { attemptsSql, deliveriesSql, seededAttempt, type SeedSpec } from "./seed-sql";

export async function seedPartition(storage: DurableObjectStorage, scope: LogScope, spec: SeedSpec, from: number, to: number): Promise<void> {
  const log = logOf(storage);
  if (!hasSchema(log)) await applySchema(log);
  storage.transactionSync(() => {
    storeScope(log, scope);
    log.sql.all(deliveriesSql(spec, from, to));
    log.sql.all(attemptsSql(spec, from, to));
    const tally = new Tally();
    for (let i = from; i <= to; i++) tally.add(seededAttempt(i, spec));
    tally.write(log);
  });
}

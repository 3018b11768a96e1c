/**
 * Seeds a webhook's delivery log straight into its DeliveryLog partitions, for the log, stats
 * and export tests that need thousands of attempts (the pattern: ./seed-sql.ts). Production
 * has no seeding call, so this runs inside each partition (runInDurableObject) with SQL:
 * - the day is registered with the webhook's head first (addPartition), as a partition's first
 *   write does, so reads, retention and deletion find it;
 * - the partition's schema is applied by the object's own migrator if it has none yet, and its
 *   scope stored as accept() stores it;
 * - the attempts go in as one generated INSERT per day;
 * - the totals and minute rollups are added by the object's own Tally, counted as record()
 *   counts (test sends and skips left out), so the statistics agree with the rows.
 * The seeded attempts have no delivery rows, as they had none in D1: they are a log to read,
 * not deliveries to resend.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Tally } from "../../src/durable/delivery-log/counting";
import { storeScope } from "../../src/durable/delivery-log/meta";
import { applySchema, hasSchema } from "../../src/durable/delivery-log/setup";
import { healthStub } from "../../src/durable/health-client";
import { dayOf } from "../../src/storage/partitions";
import { deliveryLog } from "../../src/storage/stubs";
import { logOf } from "./partition-log";
import { attemptsSql, createdAtOf, seededAttempt, type SeedSpec } from "./seed-sql";

export type Seeded = ReturnType<typeof seededAttempt>;

/** The rows of the pattern per day of their creation: [day, first row, last row]. */
function days(spec: SeedSpec): [number, number, number][] {
  const first = spec.first ?? 0;
  const out: [number, number, number][] = [];
  for (let i = first; i < first + spec.count; i++) {
    const day = dayOf(createdAtOf(i, spec));
    const last = out.at(-1);
    if (last && last[0] === day) last[2] = i;
    else out.push([day, i, i]);
  }
  return out;
}

/** Inserts the rows of `spec` into the webhook's partitions and answers them as the pattern says they are. */
export async function seedLog(spec: SeedSpec): Promise<Seeded[]> {
  const { organisationId, webhookId } = spec;
  const rows: Seeded[] = [];
  for (const [day, from, to] of days(spec)) {
    await healthStub(env, organisationId, webhookId).addPartition(organisationId, webhookId, day);
    const stub = deliveryLog(env, organisationId, webhookId, day);
    const part = Array.from({ length: to - from + 1 }, (_, k) => seededAttempt(from + k, spec));
    await runInDurableObject(stub, async (_o, state) => {
      const log = logOf(state.storage);
      if (!hasSchema(log)) await applySchema(log);
      state.storage.transactionSync(() => {
        storeScope(log, { organisationId, webhookId, day });
        log.sql.all(attemptsSql(spec, from, to));
        const tally = new Tally();
        for (const a of part) tally.add(a);
        tally.write(log);
      });
    });
    // The running instance may have woken before its storage had a schema: the next call starts
    // a fresh one, which finds the seeded tables as any woken partition does.
    await evictDurableObject(stub).catch(() => undefined);
    rows.push(...part);
  }
  return rows;
}

/**
 * Seeds a webhook's delivery log straight into its DeliveryLog partitions, for the log, stats
 * and export tests that need thousands of attempts (the pattern: ./seed-sql.ts). Production
 * has no seeding call, so this runs inside each partition (runInDurableObject, then
 * ./seed-partition.ts with SQL), one partition per UTC day the rows fall on, each day registered
 * with the webhook's head first (addPartition), as a partition's first write does, so reads,
 * retention and deletion find it. Each seeded attempt has a delivery row of its own, which holds
 * the event id, event and test flag the log shows of it; marked as calls, so that nothing resends,
 * replays or recovers them: they are a log to read, not deliveries to resend.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { healthStub } from "../../src/durable/health-client";
import { deliveryLog } from "../../src/storage/stubs";
import { seedPartition } from "./seed-partition";
import { seedDays, seededAttempt, type SeedSpec } from "./seed-sql";

export { seedDays };

export type Seeded = ReturnType<typeof seededAttempt>;

/** Inserts the rows of `spec` into the webhook's partitions and answers them as the pattern says they are. */
export async function seedLog(spec: SeedSpec): Promise<Seeded[]> {
  const { organisationId, webhookId } = spec;
  for (const [day, from, to] of seedDays(spec)) {
    await healthStub(env, organisationId, webhookId).addPartition(organisationId, webhookId, day);
    const stub = deliveryLog(env, organisationId, webhookId, day);
    await runInDurableObject(stub, (_o, state) => seedPartition(state.storage, { organisationId, webhookId, day }, spec, from, to));
    // The running instance may have woken before its storage had a schema: the next call starts
    // a fresh one, which finds the seeded tables as any woken partition does.
    await evictDurableObject(stub).catch(() => undefined);
  }
  const first = spec.first ?? 0;
  return Array.from({ length: spec.count }, (_, k) => seededAttempt(first + k, spec));
}

/**
 * The log benchmark's seeder (bench/logs-bench.ts), never deployed. It is the service's own
 * Worker config (wrangler.toml: script name, bindings, Durable Object classes and migrations)
 * with this file as the entry point instead of src/index.ts (bench/lib/seed-logs.ts), run on the
 * benchmark's state directory while the service is stopped. Locally a Durable Object's storage
 * and ids are keyed by `${script name}-${class name}` (miniflare's getDurableObjectUniqueKey), so
 * what this Worker writes into "DeliveryLog" and "WebhookHealth" is what the service reads there
 * once it is started on the same state. Taking the service's config, not a copy of it, keeps the
 * name and bindings from drifting apart.
 *
 * Its DeliveryLog is the service's class with one method more, `seed`, which writes the pattern
 * of test/helpers/seed-sql.ts into the partition from inside it (test/helpers/seed-partition.ts:
 * the object's own migrator, scope and Tally, as the log tests seed). Production has no call that
 * writes arbitrary rows, and this adds none: the method exists only in this bundle.
 */
import { DeliveryLog as ServiceDeliveryLog } from "../../src/durable/delivery-log/object";
import { healthStub } from "../../src/durable/health-client";
import type { Env } from "../../src/env";
import type { LogScope } from "../../src/storage/contract";
import { deliveryLog } from "../../src/storage/stubs";
import { seedPartition } from "../../test/helpers/seed-partition";
import type { SeedSpec } from "../../test/helpers/seed-sql";

// The other classes wrangler.toml binds, unchanged: a bound class must be exported, and the
// head's addPartition is the service's own.
export { WebhookHealth } from "../../src/durable/webhook-health";
export { SweepClock } from "../../src/durable/sweep-clock";
export { EventShard } from "../../src/durable/event-shard/object";

export class DeliveryLog extends ServiceDeliveryLog {
  /**
   * Rows from..to of `spec` into this partition. This instance woke before its storage had a
   * schema and is not used again: the service starts fresh objects that find the seeded tables.
   */
  seed(scope: LogScope, spec: SeedSpec, from: number, to: number): Promise<void> {
    return seedPartition(this.ctx.storage, scope, spec, from, to);
  }
}

export interface SeedRequest {
  scope: LogScope;
  spec: SeedSpec;
  from: number;
  to: number;
}

export default {
  /** POST a SeedRequest: one day of the pattern, registered with the webhook's head first as a partition's first write does. */
  async fetch(request, env) {
    if (request.method !== "POST") return new Response("seeder");
    const { scope, spec, from, to } = await request.json<SeedRequest>();
    const { organisationId, webhookId, day } = scope;
    await healthStub(env, organisationId, webhookId).addPartition(organisationId, webhookId, day);
    // The service's naming of partitions, typed as this bundle's class.
    const partition = deliveryLog(env, organisationId, webhookId, day) as unknown as DurableObjectStub<DeliveryLog>;
    await partition.seed(scope, spec, from, to);
    return Response.json({ day, rows: to - from + 1 });
  },
} satisfies ExportedHandler<Env>;

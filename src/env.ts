import type { DeliveryLog } from "./durable/delivery-log/object";
import type { EventShard } from "./durable/event-shard/object";
import type { OrganisationFanout } from "./durable/organisation-fanout";
import type { SweepClock } from "./durable/sweep-clock";
import type { WebhookHealth } from "./durable/webhook-health";
import type { JobMessage, QueueMessage } from "./delivery/messages";

/** The worker's bindings (wrangler.toml). `MTLS` exists only in production. */
export interface Env {
  ENVIRONMENT: string;
  ADMIN_TOKEN: string;
  INGEST_TOKEN: string;
  SECRET_ENCRYPTION_KEY: string;
  DELIVERY_TIMEOUT_MS: string;
  EMAIL_FROM: string;
  LOG_RETENTION_DAYS: string;
  EXPORT_RETENTION_DAYS: string;
  /** Optional: how long a pending delivery waits before its partition's sweep re-enqueues it, and how often the local clock ticks. */
  SWEEP_STALE_MS?: string;
  SWEEP_TICK_MS?: string;
  /** Optional: the main lane's patience and a consumer invocation's send window (src/delivery/lanes.ts). */
  DELIVERY_PATIENCE_MS?: string;
  DELIVERY_SEND_WINDOW_MS?: string;
  /** Optional: the first redelivery delay of a failed batch, doubling after (src/lib/transient.ts). */
  REDELIVERY_BASE_DELAY_S?: string;
  /** Optional: fewer calls per export invocation than the platform's budget (src/exports/budget.ts), so a test spans several. */
  EXPORT_QUERIES_PER_INVOCATION?: string;
  /** Optional: fewer deliveries per recovery step than RECOVERY_STEP (src/recoveries/policy.ts), so a test spans several. */
  RECOVERY_STEP_DELIVERIES?: string;
  DB: D1Database;
  DELIVERY_QUEUE: Queue<QueueMessage>;
  /** Deliveries of webhooks whose endpoint hangs or answers late (src/delivery/lanes.ts). */
  SLOW_DELIVERY_QUEUE: Queue<QueueMessage>;
  /** Background jobs: exports and recoveries. */
  EXPORT_QUEUE: Queue<JobMessage>;
  EXPORTS: R2Bucket;
  WEBHOOK_HEALTH: DurableObjectNamespace<WebhookHealth>;
  SWEEP_CLOCK: DurableObjectNamespace<SweepClock>;
  DELIVERY_LOG: DurableObjectNamespace<DeliveryLog>;
  EVENT_SHARD: DurableObjectNamespace<EventShard>;
  /** One per organisation: its fan-out, kept from D1 for ingest (src/durable/organisation-fanout.ts). */
  ORGANISATION_FANOUT: DurableObjectNamespace<OrganisationFanout>;
  /** Optional: how soon after activity a webhook's summary (success rate, last triggered) is written to D1 for lists. */
  SUMMARY_REFRESH_MS?: string;
  /** How long an isolate keeps an organisation's fan-out for ingest (src/db/fanout-cache.ts); "0" asks the organisation's object for every event. */
  FANOUT_CACHE_MS?: string;
  /** How long the organisation's object keeps its fan-out from D1 at most, should a change's word be lost (src/durable/organisation-fanout.ts). */
  FANOUT_MAX_AGE_MS?: string;
  EMAIL: SendEmail;
  MTLS?: Fetcher;
}

export const isProduction = (env: Pick<Env, "ENVIRONMENT">) => env.ENVIRONMENT === "production";

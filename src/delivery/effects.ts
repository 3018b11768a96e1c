import { DELIVERY_FAILED_EVENT } from "../catalogue";
import { healthStub } from "../durable/health-client";
import { GONE_REASON } from "../durable/pause-record";
import type { Env } from "../env";
import { derivedId } from "../lib/ids";
import { retryTransient } from "../lib/transient";
import { dayOfDelivery } from "../storage/partitions";
import { deliveryLog } from "../storage/stubs";
import { acceptEvent } from "./accept-event";
import type { DeliveryRow } from "./load";

export interface FinalFailure {
  row: DeliveryRow;
  attempts: number;
  errorCode: string | null;
  responseCode: number | null;
}

/**
 * What follows a delivery's end. Each step is idempotent, so a redelivered message may run them
 * again: the announcement has an event id derived from the delivery, and the Durable Object
 * remembers which deliveries it has counted.
 */
export async function afterFailure(env: Env, f: FinalFailure, opts: { countTowardPause: boolean } = { countTowardPause: true }): Promise<void> {
  const { row } = f;
  // A failed announcement is not announced again: no cascades of failure events.
  if (row.event !== DELIVERY_FAILED_EVENT) {
    const announcement = {
      organisation_id: row.organisation_id,
      event: DELIVERY_FAILED_EVENT,
      // Per end, not per delivery: a resent delivery (src/delivery/resend.ts) that fails again
      // is a new failure with another attempt count, and an id it shared with its first end
      // would be refused as "accepted with a different body", failing the consumer's batch.
      event_id: await derivedId("evt", "delivery-failed", row.id, f.attempts),
      data: {
        webhook_id: row.webhook_id,
        delivery_id: row.id,
        event_id: row.event_id,
        event: row.event,
        attempts: f.attempts,
        error_code: f.errorCode,
        response_code: f.responseCode,
      },
    };
    // Idempotent on its derived event id, so a transient error can be retried in place.
    await retryTransient(() => acceptEvent(env, announcement));
  }
  // Our own trouble (an `internal` end from the dead-letter queue) is not the endpoint's failure.
  if (opts.countTowardPause) {
    const health = healthStub(env, row.organisation_id, row.webhook_id);
    // 410 Gone: the endpoint says it is gone for good, so it is paused now rather than after
    // nine more failures (its other pending deliveries are then skipped, as with any pause).
    const gone = f.errorCode === "http_4xx" && f.responseCode === 410;
    await retryTransient(() =>
      gone
        ? health.pauseAtOnce(row.organisation_id, row.webhook_id, row.id, f.attempts, GONE_REASON)
        : health.recordFailure(row.organisation_id, row.webhook_id, row.id, f.attempts),
    );
  }
}

/** A success only needs the Durable Object when the webhook has a failure streak to reset. */
export async function afterSuccess(env: Env, row: DeliveryRow): Promise<void> {
  await retryTransient(() => healthStub(env, row.organisation_id, row.webhook_id).recordSuccess(row.organisation_id, row.webhook_id));
}

/** For a redelivered message whose attempt was already recorded as final: redo the effects. */
export async function lastAttempt(env: Env, row: Pick<DeliveryRow, "id" | "organisation_id" | "webhook_id">) {
  const day = dayOfDelivery(row.id);
  return deliveryLog(env, row.organisation_id, row.webhook_id, day).lastAttempt({ organisationId: row.organisation_id, webhookId: row.webhook_id, day }, row.id);
}

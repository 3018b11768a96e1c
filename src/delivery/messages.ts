/**
 * Queue messages carry ids, and small bodies (a message is limited to 128 KB; the payload lives
 * in the event's shard). `attempt` is the attempt this message asks for: a message whose attempt was
 * already made is stale (a duplicate from the queue or a partition's sweep) and only re-runs the
 * idempotent side effects. The organisation, webhook and event ids name the objects that hold
 * the delivery (its webhook's partition for the day in its id) and the body (the event's shard).
 */
export interface DeliveryMessage {
  kind: "delivery";
  delivery_id: string;
  attempt: number;
  organisation_id: number;
  webhook_id: string;
  event_id: string;
  /**
   * The delivery as ingest created it: its revision and event type. A first attempt's delivery
   * is not stored until that attempt is logged (src/delivery/accept-event.ts), so its message
   * carries what the consumer would otherwise read from the partition. Absent in messages from
   * before that change, whose deliveries are all stored.
   */
  revision_id?: string;
  event?: string;
  /**
   * The event's body, when small (MESSAGE_BODY_MAX): the consumer then sends without reading the
   * event's shard. A copy only: the body is durable in the shard, which the sweep, resend and
   * replay read from when they enqueue (their messages carry none).
   */
  body?: string;
}

/** Several deliveries to one lane with one delay, in one message (packs.ts). */
export interface DeliveryPack {
  kind: "deliveries";
  deliveries: Omit<DeliveryMessage, "kind">[];
}

/**
 * The message of a delivery's first attempt, as ingest and the shard's sweep send it: it names
 * the delivery's revision and event type, since the delivery is not stored before that attempt.
 */
export const firstAttemptMessage = (
  organisationId: number,
  e: { id: string; event: string; body: string },
  d: { delivery_id: string; webhook_id: string; revision_id: string },
): Omit<DeliveryMessage, "kind"> => ({
  delivery_id: d.delivery_id, attempt: 1, organisation_id: organisationId, webhook_id: d.webhook_id, event_id: e.id,
  revision_id: d.revision_id, event: e.event, ...bodyToCarry(e.body),
});

/** A queue operation is billed per 64 KB, and a message may hold 128 KB: bodies up to 48 KB ride along. */
export const MESSAGE_BODY_MAX = 48 * 1024;

/** The body to carry in a message, or nothing when it would make the message too big. */
export const bodyToCarry = (body: string): { body?: string } => (body.length <= MESSAGE_BODY_MAX / 3 || new TextEncoder().encode(body).length <= MESSAGE_BODY_MAX ? { body } : {});

export interface ExportMessage {
  kind: "export";
  export_id: string;
}

/** One step of a recovery (src/recoveries/run-step.ts); it rides the exports queue, the background-jobs queue. */
export interface RecoveryMessage {
  kind: "recovery";
  recovery_id: string;
}

/** What the nafsi-exports queue carries: the background jobs. */
export type JobMessage = ExportMessage | RecoveryMessage;

export type QueueMessage = DeliveryMessage | DeliveryPack | JobMessage;

/**
 * Queue messages carry ids only (a message is limited to 128 KB; the payload lives in the
 * event's shard). `attempt` is the attempt this message asks for: a message whose attempt was
 * already made is stale (a duplicate from the queue or the sweeper) and only re-runs the
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
}

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

export type QueueMessage = DeliveryMessage | JobMessage;

/**
 * Queue messages carry ids only (a message is limited to 128 KB; the payload lives in D1).
 * `attempt` is the attempt this message asks for: a message whose attempt was already made is
 * stale (a duplicate from the queue or the sweeper) and only re-runs the idempotent side effects.
 */
export interface DeliveryMessage {
  kind: "delivery";
  delivery_id: string;
  attempt: number;
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

/**
 * The shapes that cross between the Worker and the storage objects (RPC arguments and answers).
 * Objects: DeliveryLog (one per organisation, webhook and day), EventShard (per organisation and
 * shard), WebhookHealth (one per webhook: failure streak, pause notices, the list of its
 * partitions, totals folded in from dropped partitions, the summary it writes to D1 for lists).
 */

/** Which partition: every DeliveryLog call carries it (an object does not know its own name). */
export interface LogScope {
  organisationId: number;
  webhookId: string;
  /** dayOf(created_at) of the deliveries it holds. */
  day: number;
}

export type DeliveryStatus = "pending" | "success" | "failed" | "skipped";
export type AttemptStatus = "success" | "failed" | "retrying" | "skipped";

/** A delivery as fan-out creates it at ingest. A skipped one (paused webhook) logs its skip attempt with it. */
export interface NewDelivery {
  id: string;
  event_id: string;
  event: string;
  revision_id: string;
  status: "pending" | "skipped";
  created_at: number;
}

export interface DeliveryState {
  id: string;
  organisation_id: number;
  webhook_id: string;
  revision_id: string;
  event_id: string;
  event: string;
  status: DeliveryStatus;
  attempts: number;
  /** A resent delivery ends after this attempt (src/delivery/resend.ts); null: the schedule decides. */
  last_attempt: number | null;
  next_attempt_at: number | null;
  /** 1 for a test event; test events and checks have no stored body. */
  test: number;
  /** 1 for a test event or a check (sent in the request, body not stored). */
  call: number;
  created_at: number;
  updated_at: number;
}

/** One attempt (or skip) to log, with the delivery's move it implies. */
export interface AttemptWrite {
  /** newId("att", created_at): record() is idempotent on it. */
  id: string;
  delivery_id: string;
  /** The attempt number; a skip logs attempts + 1 but does not use an attempt up. */
  attempt: number;
  status: AttemptStatus;
  response_code: number | null;
  response_time_ms: number | null;
  error_code: string | null;
  error: string | null;
  created_at: number;
  /** For status "retrying": when the next attempt is due. */
  next_attempt_at: number | null;
  revision_id: string | null;
  signed_headers: string | null;
  response_content_type: string | null;
  response_body: string | null;
}

/** A row of the logs list (GET /v1/webhooks/{id}/logs). */
export type AttemptRecord = Pick<AttemptWrite, "id" | "delivery_id" | "attempt" | "status" | "response_code" | "response_time_ms" | "error_code" | "error" | "created_at"> & {
  event_id: string;
  event: string;
  test: number;
};

/** An attempt as the delivery detail shows it (the revision's fields are joined from D1 by the caller). */
export type AttemptDetailRow = Pick<
  AttemptWrite,
  "id" | "attempt" | "status" | "response_code" | "response_time_ms" | "response_content_type" | "response_body" | "error_code" | "error" | "created_at" | "signed_headers" | "revision_id"
>;

/** Log order: newest first on (created_at, id). */
export interface Position {
  createdAt: number;
  id: string;
}

export interface LogFilter {
  from?: number;
  to?: number;
  status?: AttemptStatus;
  event?: string;
}

/** Counted as the statistics always were: test sends and skips left out, anything but a success is a failure. */
export interface Totals {
  total: number;
  successful: number;
  failed: number;
  last_success_at: number | null;
  last_failure_at: number | null;
  /** Any attempt or skip, tests included: when the webhook was last sent (or skipped) something. */
  last_triggered_at: number | null;
  /** Counts per latency bucket (src/stats/latency.ts LATENCY_BOUNDS_MS; index = bucket). */
  latency: number[];
}

/** One UTC minute of the time series, counted like Totals. */
export interface MinuteRollup {
  /** Math.floor(ms / 60_000). */
  minute: number;
  success: number;
  failed: number;
  latency: number[];
}

/** DeliveryLog.recoverable's question: the next page of a recovery (src/db/recovery-job.ts). */
export interface RecoverableQuery {
  since: number;
  until: number;
  after: Position;
  endedBefore: number;
  limit: number;
  /**
   * Also the deliveries in the range this job already re-sent (resent_by = jobId), whatever their
   * state now: a step that died between a chunk's resend and its checkpoint reads them again, and
   * resend() counts them in alreadyByJob instead of sending them, so `sent` stays right.
   */
  jobId?: string;
}

export interface Requeue {
  delivery_id: string;
  attempt: number;
  event_id: string;
}

/** What an object reports of its own storage work since it started (SQL cursors' counters). */
export interface Meter {
  rowsWritten: number;
  rowsRead: number;
}

/** An event as its shard stores it. */
export interface StoredFanout {
  webhook_id: string;
  delivery_id: string;
  revision_id: string;
  status: "pending" | "skipped";
}

export interface StoredEvent {
  id: string;
  event: string;
  body: string;
  request_hash: string;
  deliveries: number;
  skipped: number;
  created_at: number;
  fanout: StoredFanout[];
}

export interface EventToStore {
  id: string;
  event: string;
  body: string;
  request_hash: string;
  created_at: number;
  /** The subscribed webhooks (active: pending, paused: skipped); the shard assigns the delivery ids. */
  fanout: { webhook_id: string; revision_id: string; status: "pending" | "skipped" }[];
}

export interface ShardAnswer {
  /** True when the event id was already taken: `event` is what was stored then. */
  duplicate: boolean;
  event: StoredEvent;
}

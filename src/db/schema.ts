/** Drizzle's view of migrations/*.sql (the SQL files are the source of truth). */
import { blob, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const organisations = sqliteTable("organisations", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  notificationEmail: text("notification_email").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const apiKeys = sqliteTable("api_keys", {
  id: text("id").primaryKey(),
  organisationId: integer("organisation_id").notNull(),
  keyHash: text("key_hash").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const webhooks = sqliteTable("webhooks", {
  id: text("id").primaryKey(),
  organisationId: integer("organisation_id").notNull(),
  type: text("type", { enum: ["event_notification", "verification_check"] }).notNull(),
  name: text("name").notNull(),
  description: text("description"),
  url: text("url").notNull(),
  method: text("method", { enum: ["POST", "PUT", "PATCH"] }).notNull(),
  status: text("status", { enum: ["inactive", "active", "paused"] }).notNull(),
  events: text("events", { mode: "json" }).$type<string[]>().notNull(),
  headersEnc: text("headers_enc").notNull(),
  criteria: text("criteria", { mode: "json" }).$type<Record<string, unknown> | null>(),
  secretEnc: text("secret_enc").notNull(),
  secretHint: text("secret_hint").notNull(),
  certificatePem: text("certificate_pem"),
  certificate: text("certificate", { mode: "json" }).$type<Record<string, unknown> | null>(),
  pausedReason: text("paused_reason"),
  /** Seconds to wait before each retry (migration 0011); each revision keeps the one its deliveries follow. */
  retrySchedule: text("retry_schedule", { mode: "json" }).$type<number[]>().notNull(),
  failureStreak: integer("failure_streak").notNull(),
  /** Since when its deliveries go through the slow lane (src/delivery/lanes.ts); null: the main lane. */
  slowSince: integer("slow_since"),
  /** During a rotation's overlap, the previous secret (sealed) and when it stops signing (migration 0010). */
  previousSecretEnc: text("previous_secret_enc"),
  previousSecretExpiresAt: integer("previous_secret_expires_at"),
  revisionId: text("revision_id").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});
export type WebhookRow = typeof webhooks.$inferSelect;

export const webhookRevisions = sqliteTable("webhook_revisions", {
  id: text("id").primaryKey(),
  webhookId: text("webhook_id").notNull(),
  organisationId: integer("organisation_id").notNull(),
  url: text("url").notNull(),
  method: text("method").notNull(),
  retrySchedule: text("retry_schedule", { mode: "json" }).$type<number[]>().notNull(),
  headersEnc: text("headers_enc").notNull(),
  secretEnc: text("secret_enc").notNull(),
  previousSecretEnc: text("previous_secret_enc"),
  previousSecretExpiresAt: integer("previous_secret_expires_at"),
  createdAt: integer("created_at").notNull(),
});

export const webhookStats = sqliteTable("webhook_stats", {
  webhookId: text("webhook_id").primaryKey(),
  organisationId: integer("organisation_id").notNull(),
  total: integer("total").notNull(),
  successful: integer("successful").notNull(),
  failed: integer("failed").notNull(),
  lastSuccessAt: integer("last_success_at"),
  lastFailureAt: integer("last_failure_at"),
  lastTriggeredAt: integer("last_triggered_at"),
});

export const webhookLatency = sqliteTable(
  "webhook_latency",
  { webhookId: text("webhook_id").notNull(), bucket: integer("bucket").notNull(), count: integer("count").notNull() },
  (t) => [primaryKey({ columns: [t.webhookId, t.bucket] })],
);

export const events = sqliteTable(
  "events",
  {
    organisationId: integer("organisation_id").notNull(),
    id: text("id").notNull(),
    event: text("event").notNull(),
    body: text("body").notNull(),
    requestHash: text("request_hash").notNull(),
    deliveries: integer("deliveries").notNull(),
    skipped: integer("skipped").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.organisationId, t.id] })],
);

export const deliveries = sqliteTable("deliveries", {
  id: text("id").primaryKey(),
  organisationId: integer("organisation_id").notNull(),
  webhookId: text("webhook_id").notNull(),
  revisionId: text("revision_id").notNull(),
  eventId: text("event_id").notNull(),
  event: text("event").notNull(),
  status: text("status", { enum: ["pending", "success", "failed", "skipped"] }).notNull(),
  attempts: integer("attempts").notNull(),
  nextAttemptAt: integer("next_attempt_at"),
  /** A resent delivery ends after this attempt (src/delivery/resend.ts); null: the retry schedule decides. */
  lastAttempt: integer("last_attempt"),
  test: integer("test", { mode: "boolean" }).notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const attempts = sqliteTable("attempts", {
  id: text("id").primaryKey(),
  organisationId: integer("organisation_id").notNull(),
  webhookId: text("webhook_id").notNull(),
  deliveryId: text("delivery_id").notNull(),
  eventId: text("event_id").notNull(),
  event: text("event").notNull(),
  attempt: integer("attempt").notNull(),
  status: text("status", { enum: ["success", "failed", "retrying", "skipped"] }).notNull(),
  responseCode: integer("response_code"),
  responseTimeMs: integer("response_time_ms"),
  errorCode: text("error_code"),
  error: text("error"),
  test: integer("test", { mode: "boolean" }).notNull(),
  createdAt: integer("created_at").notNull(),
  /** The revision it was sent with: its request is built again from it for the detail (migration 0012). */
  revisionId: text("revision_id"),
  /** The headers that depend on the secret, as sent and masked (src/delivery/signing-headers.ts). */
  signedHeaders: text("signed_headers"),
  /** What the endpoint answered: the content type and at most 1 KiB of the body (null when empty). */
  responseContentType: text("response_content_type"),
  responseBody: text("response_body"),
});
export type AttemptRow = typeof attempts.$inferSelect;

export const notifications = sqliteTable("notifications", {
  id: text("id").primaryKey(),
  organisationId: integer("organisation_id").notNull(),
  webhookId: text("webhook_id").notNull(),
  kind: text("kind").notNull(),
  recipient: text("recipient").notNull(),
  /** The email's state (migrations/0007): pending → sending → sent | failed. */
  status: text("status", { enum: ["pending", "sending", "sent", "failed"] }).notNull(),
  /** Sends begun. */
  tries: integer("tries").notNull(),
  /** The last send's error; kept on a sent row when earlier tries failed. */
  error: text("error"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const exportsTable = sqliteTable("exports", {
  id: text("id").primaryKey(),
  organisationId: integer("organisation_id").notNull(),
  webhookId: text("webhook_id").notNull(),
  status: text("status", { enum: ["pending", "running", "done", "failed"] }).notNull(),
  filters: text("filters", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  rows: integer("rows").notNull(),
  objectKey: text("object_key"),
  error: text("error"),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  tries: integer("tries").notNull(),
  updatedAt: integer("updated_at").notNull(),
  // The checkpoint of an export that goes on across invocations (migration 0006).
  uploadId: text("upload_id"),
  position: text("position", { mode: "json" }).$type<{ createdAt: number; id: string }>(),
  parts: text("parts", { mode: "json" }).$type<{ partNumber: number; etag: string }[]>().notNull(),
  tail: blob("tail"),
  runs: integer("runs").notNull(),
  leaseUntil: integer("lease_until").notNull(),
});

/** A deleted webhook's export files until R2 has deleted them (migration 0015, src/exports/delete-files.ts). */
export const orphanedExportFiles = sqliteTable("orphaned_export_files", {
  objectKey: text("object_key").primaryKey(),
  uploadId: text("upload_id"),
  createdAt: integer("created_at").notNull(),
});

/** Recovery jobs (migration 0013, src/recoveries/): re-send a window's failed and skipped deliveries. */
export const recoveries = sqliteTable("recoveries", {
  id: text("id").primaryKey(),
  organisationId: integer("organisation_id").notNull(),
  webhookId: text("webhook_id").notNull(),
  status: text("status", { enum: ["pending", "running", "done", "failed"] }).notNull(),
  sinceAt: integer("since_at").notNull(),
  untilAt: integer("until_at").notNull(),
  /** Deliveries the window held to re-send when the recovery began; `sent`: those it has re-sent. */
  total: integer("total").notNull(),
  sent: integer("sent").notNull(),
  /** The last delivery passed, in (created_at, id) order; null before the first step. */
  cursorAt: integer("cursor_at"),
  cursorId: text("cursor_id"),
  tries: integer("tries").notNull(),
  leaseUntil: integer("lease_until").notNull(),
  error: text("error"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * The partition's tables, for Drizzle's queries. The DDL that creates them is the hand-written
 * migration (migrations/0000_init.ts): Drizzle cannot say WITHOUT ROWID, and the tables are
 * WITHOUT ROWID so a row is one b-tree entry on its own key, with no hidden rowid index. Field
 * names are the column names, so a raw statement's rows have the same shape as Drizzle's.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { AttemptStatus, DeliveryStatus } from "../../storage/contract";

/** A few keys: the partition's scope (written with its registration at the head) and the sweep's low-water mark. */
export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

export const deliveries = sqliteTable(
  "deliveries",
  {
    id: text("id").primaryKey(),
    revision_id: text("revision_id").notNull(),
    event_id: text("event_id").notNull(),
    event: text("event").notNull(),
    status: text("status").$type<DeliveryStatus>().notNull(),
    attempts: integer("attempts").notNull(),
    last_attempt: integer("last_attempt"),
    next_attempt_at: integer("next_attempt_at"),
    test: integer("test").notNull(),
    call: integer("call").notNull(),
    created_at: integer("created_at").notNull(),
    updated_at: integer("updated_at").notNull(),
    /** The recovery job that last re-sent it (resend's `alreadyByJob`). */
    resent_by: text("resent_by"),
    /**
     * The keys (created_at, id) of its attempts in the order they were logged, packed (keys.ts):
     * the detail and lastAttempt read them by primary key. An index on attempts(delivery_id)
     * would do the same for one more written row per attempt; this list rides on the delivery
     * update each attempt makes anyway.
     */
    attempt_keys: text("attempt_keys").notNull(),
    /** The revision it was created with, once a resend gave it another (revision.ts); null until then. */
    origin_revision_id: text("origin_revision_id"),
    /** Its first attempt's response, when this row keeps that attempt (first-attempt.ts, migrations/0001). */
    first_response_code: integer("first_response_code"),
    first_response_time_ms: integer("first_response_time_ms"),
    first_signed_headers: text("first_signed_headers"),
    first_response_content_type: text("first_response_content_type"),
    first_response_body: text("first_response_body"),
  },
  (t) => [
    index("deliveries_due").on(t.next_attempt_at).where(sql`status = 'pending' AND next_attempt_at > created_at`),
    index("deliveries_recoverable").on(t.id).where(sql`status IN ('failed', 'skipped') AND call = 0`),
    index("deliveries_resent").on(t.resent_by, t.id).where(sql`resent_by IS NOT NULL`),
  ],
);

export const attempts = sqliteTable(
  "attempts",
  {
    created_at: integer("created_at").notNull(),
    id: text("id").notNull(),
    delivery_id: text("delivery_id").notNull(),
    attempt: integer("attempt").notNull(),
    status: text("status").$type<AttemptStatus>().notNull(),
    response_code: integer("response_code"),
    response_time_ms: integer("response_time_ms"),
    error_code: text("error_code"),
    error: text("error"),
    /** Packed against its delivery's (revision.ts): null is the revision the delivery was created with, "" none. */
    revision_id: text("revision_id"),
    /** Packed against its delivery id and time (packed-headers.ts). */
    signed_headers: text("signed_headers"),
    response_content_type: text("response_content_type"),
    response_body: text("response_body"),
  },
  (t) => [
    primaryKey({ columns: [t.created_at, t.id] }),
    index("attempts_unsuccessful").on(t.status, t.created_at, t.id).where(sql`status <> 'success'`),
  ],
);

/** One row (id = 1): the day's Totals. */
export const totals = sqliteTable("totals", {
  id: integer("id").primaryKey(),
  total: integer("total").notNull(),
  successful: integer("successful").notNull(),
  failed: integer("failed").notNull(),
  last_success_at: integer("last_success_at"),
  last_failure_at: integer("last_failure_at"),
  last_triggered_at: integer("last_triggered_at"),
  /** JSON array of counts per latency bucket. */
  latency: text("latency").notNull(),
});

export const rollups = sqliteTable("rollups", {
  minute: integer("minute").primaryKey(),
  success: integer("success").notNull(),
  failed: integer("failed").notNull(),
  latency: text("latency").notNull(),
});

export const schema = { meta, deliveries, attempts, totals, rollups };
export type DeliveryRow = typeof deliveries.$inferSelect;
export type AttemptRow = typeof attempts.$inferSelect;

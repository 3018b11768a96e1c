import { z } from "zod";
import type { AttemptRecord } from "../db/attempts";

export const ATTEMPT_STATUSES = ["success", "failed", "retrying", "skipped"] as const;
export const EXPORT_STATUSES = ["pending", "running", "done", "failed"] as const;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;
const DAY_MS = 86_400_000;
const INSTANT_RULE = "must be an ISO 8601 date (2026-01-28) or date-time with a zone (2026-01-28T10:30:00Z)";

/**
 * An ISO 8601 instant as epoch milliseconds. A bare date means its first millisecond, or, for
 * the end of a range, its last one: `to=2026-01-28` includes all of that day.
 */
export function instant(end: "start" | "end") {
  return z.string().transform((text, ctx) => {
    const ms = Date.parse(text);
    const dateOnly = DATE_ONLY.test(text);
    // Date.parse rolls 2026-02-30 over to March; a real date survives the round trip.
    const real = Number.isFinite(ms) && (dateOnly ? new Date(ms).toISOString().slice(0, 10) === text : DATE_TIME.test(text));
    if (!real) {
      ctx.addIssue({ code: "custom", message: INSTANT_RULE });
      return z.NEVER;
    }
    return dateOnly && end === "end" ? ms + DAY_MS - 1 : ms;
  });
}

/** The log filters, shared by the logs list and the CSV export. Both ends of the range are inclusive. */
const filterFields = {
  from: instant("start").optional(),
  to: instant("end").optional(),
  status: z.enum(ATTEMPT_STATUSES, { error: "must be success, failed, retrying or skipped" }).optional(),
  event: z.string().min(1, "must not be empty").max(100, "must be at most 100 characters").optional(),
};

const rangeInOrder = (f: { from?: number; to?: number }, ctx: z.RefinementCtx) => {
  if (f.from !== undefined && f.to !== undefined && f.from > f.to) {
    ctx.addIssue({ code: "custom", message: "must not be before from", path: ["to"] });
  }
};

export const LogQuery = z
  .strictObject({
    ...filterFields,
    limit: z.coerce.number().int("must be a whole number").min(1, "must be between 1 and 500").max(500, "must be between 1 and 500").default(50),
    cursor: z.string().max(200, "is not a cursor from this list").optional(),
  })
  .superRefine(rangeInOrder);
export type LogQuery = z.infer<typeof LogQuery>;

export const ExportIn = z.strictObject(filterFields).superRefine(rangeInOrder);
export type ExportIn = z.infer<typeof ExportIn>;

/** What is stored with an export: the filters as epoch milliseconds, `to` fixed at creation. */
export interface ExportFilters {
  from?: number;
  to: number;
  status?: (typeof ATTEMPT_STATUSES)[number];
  event?: string;
}

export const LogRow = z.object({
  id: z.string(),
  delivery_id: z.string(),
  event_id: z.string(),
  event: z.string(),
  attempt: z.number().int(),
  status: z.enum(ATTEMPT_STATUSES),
  response_code: z.number().int().nullable(),
  response_time_ms: z.number().int().nullable(),
  error_code: z.string().nullable(),
  error: z.string().nullable(),
  test: z.boolean(),
  timestamp: z.string(),
});
export type LogRow = z.infer<typeof LogRow>;

export const LogPage = z.object({ data: z.array(LogRow), next_cursor: z.string().nullable() });

export const StatsOut = z.object({
  total_deliveries: z.number().int(),
  successful_deliveries: z.number().int(),
  failed_deliveries: z.number().int(),
  median_response_time_ms: z.number().nullable().describe("Estimated from fixed latency buckets; see src/stats/read-stats.ts for its error"),
  success_rate: z.number().nullable().describe("Percentage 0-100 with two decimals; null before the first attempt"),
  last_success_at: z.string().nullable(),
  last_failure_at: z.string().nullable(),
});
export type StatsOut = z.infer<typeof StatsOut>;

export const ExportOut = z.object({
  id: z.string(),
  webhook_id: z.string(),
  status: z.enum(EXPORT_STATUSES),
  rows: z.number().int(),
  filters: z.object({ from: z.string().nullable(), to: z.string(), status: z.string().nullable(), event: z.string().nullable() }),
  download_url: z.string().nullable(),
  error: z.string().nullable(),
  created_at: z.string(),
  expires_at: z.string(),
});
export type ExportOut = z.infer<typeof ExportOut>;

/** The API's view of one attempt. */
export const presentAttempt = (a: AttemptRecord): LogRow => ({
  id: a.id,
  delivery_id: a.delivery_id,
  event_id: a.event_id,
  event: a.event,
  attempt: a.attempt,
  status: a.status,
  response_code: a.response_code,
  response_time_ms: a.response_time_ms,
  error_code: a.error_code,
  error: a.error,
  test: a.test === 1,
  timestamp: new Date(a.created_at).toISOString(),
});

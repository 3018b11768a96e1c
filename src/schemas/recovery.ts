import { z } from "zod";
import type { RecoveryRecord } from "../db/recoveries";
import { iso } from "../lib/encoding";
import { EXPORT_STATUSES, instant } from "./logs";

/**
 * The window [since, until): ISO 8601 instants; a bare date is its first millisecond, so
 * `{since: "2026-01-27", until: "2026-01-28"}` is all of 27 January. The route checks the order
 * and the width, which need the time of the request.
 */
export const RecoverIn = z.strictObject({
  since: instant("start"),
  until: instant("start").optional().describe("Default: now. A later time is taken as now: deliveries created after the recovery began are not in it"),
});
export type RecoverIn = z.infer<typeof RecoverIn>;

export const RecoveryOut = z.object({
  id: z.string(),
  webhook_id: z.string(),
  status: z.enum(EXPORT_STATUSES).describe("pending, running, done or failed"),
  since: z.string(),
  until: z.string(),
  total: z.number().int().describe("Deliveries of the window that had ended failed or skipped when the recovery began"),
  sent: z.number().int().describe("Of those, the ones re-sent so far (each once); fewer than total when some were sent again meanwhile by other means"),
  error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type RecoveryOut = z.infer<typeof RecoveryOut>;

export const presentRecovery = (r: RecoveryRecord): RecoveryOut => ({
  id: r.id,
  webhook_id: r.webhook_id,
  status: r.status,
  since: iso(r.since_at)!,
  until: iso(r.until_at)!,
  total: r.total,
  sent: r.sent,
  error: r.error,
  created_at: iso(r.created_at)!,
  updated_at: iso(r.updated_at)!,
});

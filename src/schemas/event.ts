import { z } from "zod";
import { EVENT_NAMES } from "../catalogue";

/** Ingest bodies are limited so that an event and its row stay small (queue messages carry ids). */
export const MAX_EVENT_BYTES = 256 * 1024;

const unit = z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1");

/** The payloads the product document spells out ("Event Payloads"); others only need an object. */
export const EVENT_DATA_SCHEMAS: Partial<Record<(typeof EVENT_NAMES)[number], z.ZodType>> = {
  "verification.completed": z.looseObject({
    verification_id: z.string().min(1),
    workflow_id: z.string().min(1),
    workflow_name: z.string().optional(),
    status: z.string().min(1),
    confidence: unit.optional(),
    units_consumed: z.number().int().nonnegative().optional(),
    processing_time_ms: z.number().nonnegative().optional(),
    result: z.looseObject({}).optional(),
    metadata: z.looseObject({}).optional(),
  }),
  "verification.failed": z.looseObject({
    verification_id: z.string().min(1),
    workflow_id: z.string().min(1),
    status: z.string().min(1),
    reason: z.string().min(1),
    failed_check: z.string().optional(),
    confidence: unit.optional(),
    threshold: unit.optional(),
    units_consumed: z.number().int().nonnegative().optional(),
  }),
  "units.low_balance": z.looseObject({
    current_balance: z.number(),
    threshold: z.number(),
    estimated_verifications_remaining: z.number().int().nonnegative().optional(),
    projected_depletion_date: z.string().optional(),
  }),
};

export const EventIn = z
  .strictObject({
    event: z.enum(EVENT_NAMES, { error: "must be an event of the catalogue (GET /v1/event-types)" }),
    organisation_id: z.number({ error: "must be an organisation id (an integer)" }).int("must be an integer").positive("must be positive"),
    data: z.record(z.string(), z.unknown(), { error: "must be a JSON object" }),
    event_id: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,128}$/, "must be 1 to 128 characters of letters, digits and _ . : -")
      .optional(),
    timestamp: z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time" }).optional(),
  })
  .superRefine((e, ctx) => {
    const schema = EVENT_DATA_SCHEMAS[e.event];
    if (!schema) return;
    const res = schema.safeParse(e.data);
    if (!res.success) for (const issue of res.error.issues) ctx.addIssue({ ...issue, path: ["data", ...issue.path] } as never);
  });
export type EventIn = z.infer<typeof EventIn>;

export const EventAccepted = z.object({
  event_id: z.string(),
  deliveries: z.number().int().describe("Deliveries created, skipped ones included"),
  skipped: z.number().int().describe("Deliveries logged as skipped because their webhook is paused"),
});

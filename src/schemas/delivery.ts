import { z } from "zod";
import { ATTEMPT_STATUSES } from "./logs";

const DELIVERY_STATUSES = ["pending", "success", "failed", "skipped"] as const;

export const AttemptRequest = z.object({
  method: z.string(),
  url: z.string(),
  headers: z.record(z.string(), z.string()).describe("As sent, names in lower case; credential values masked"),
});

export const AttemptResponse = z.object({
  status_code: z.number().int(),
  content_type: z.string().nullable(),
  body: z.string().nullable().describe("At most 1 KiB of what the endpoint answered, as UTF-8 text"),
  response_time_ms: z.number().int().nullable(),
});

export const AttemptDetail = z.object({
  id: z.string(),
  attempt: z.number().int(),
  status: z.enum(ATTEMPT_STATUSES),
  timestamp: z.string(),
  request: AttemptRequest.nullable().describe("Null when nothing was sent (a skip, a refused URL, an undecryptable secret)"),
  response: AttemptResponse.nullable().describe("Null when the endpoint did not answer"),
  error_code: z.string().nullable(),
  error: z.string().nullable(),
});

export const DeliveryOut = z.object({
  id: z.string(),
  event_id: z.string(),
  event: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int(),
  test: z.boolean(),
  created_at: z.string(),
  body: z.string().nullable().describe("The exact payload sent; null for a test event or a check, whose body is not stored"),
  log: z.array(AttemptDetail),
});
export type DeliveryOut = z.infer<typeof DeliveryOut>;
export type AttemptDetail = z.infer<typeof AttemptDetail>;

export const ResendOut = z.object({ delivery_id: z.string(), attempt: z.number().int() });

export const EventOut = z.object({
  event_id: z.string(),
  event: z.string(),
  timestamp: z.string(),
  data: z.record(z.string(), z.unknown()),
  deliveries: z.array(z.object({ id: z.string(), webhook_id: z.string(), status: z.enum(DELIVERY_STATUSES), attempts: z.number().int() })),
});
export type EventOut = z.infer<typeof EventOut>;

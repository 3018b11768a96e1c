import { z } from "zod";

/** POST /v1/checks and EventsRpc.check: run a verification check now. */
export const CheckIn = z.strictObject({
  organisation_id: z.number({ error: "must be an organisation id (an integer)" }).int("must be an integer").positive("must be positive"),
  webhook_id: z.string({ error: "must be a webhook id" }).min(1, "must not be empty").max(64, "must be at most 64 characters"),
  input: z.record(z.string(), z.unknown(), { error: "must be a JSON object: what the check is about, checked against the webhook's request schema" }),
});
export type CheckIn = z.infer<typeof CheckIn>;

export const CheckOut = z.object({
  passed: z.boolean(),
  success: z.boolean().nullable().describe("The endpoint's success field"),
  score: z.number().nullable().describe("The endpoint's score"),
  threshold: z.number().describe("The webhook's min_score"),
  reason: z.string().nullable().describe("Why the check did not pass; null when it passed"),
  data: z.unknown().describe("The endpoint's data field"),
  status_code: z.number().nullable(),
  response_time_ms: z.number().nullable(),
  error_code: z
    .string()
    .nullable()
    .describe("Why the call failed (timeout, tls, connection, http_4xx, http_5xx, invalid_response, ...); null when the endpoint answered usably"),
  check_id: z.string().describe("The delivery id of this call (X-Delivery-ID), as in the logs"),
  event_id: z.string(),
});
export type CheckOut = z.infer<typeof CheckOut>;

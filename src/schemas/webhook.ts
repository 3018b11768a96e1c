import { z } from "zod";
import { EVENT_NAMES } from "../catalogue";
import { checkHeaderName, checkHeaderValue, MAX_HEADERS } from "../security/header-policy";
import { checkWebhookUrl, MAX_URL_LENGTH, type UrlPolicy } from "../security/url-policy";
import { checkJsonSchema } from "./json-schema";
import { RETRY_SCHEDULE_CHECK_RULE, retryScheduleField } from "./retry-schedule";

export const WEBHOOK_TYPES = ["event_notification", "verification_check"] as const;
export const WEBHOOK_METHODS = ["POST", "PUT", "PATCH"] as const;
export const WEBHOOK_STATUSES = ["inactive", "active", "paused"] as const;

/** An object or a boolean (both are JSON Schemas), checked by checkJsonSchema. */
const jsonSchemaField = z
  .union([z.record(z.string(), z.unknown()), z.boolean()], { error: "must be a JSON Schema (an object or a boolean)" })
  .superRefine((value, ctx) => {
    const problem = checkJsonSchema(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem.message, path: problem.path ? problem.path.split(".") : [] });
  })
  .nullable()
  .describe("A JSON Schema (draft 2020-12), or null for none");

const criteriaFields = {
  require_success: z.boolean().describe("The response must include success: true"),
  require_score: z.boolean().describe("The response must include a confidence score"),
  min_score: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").describe("Minimum score for a pass"),
  request_schema: jsonSchemaField,
  response_schema: jsonSchemaField,
};

/** Verification criteria with the product document's defaults (true, true, 0.85, none, none). */
export const Criteria = z.strictObject({
  require_success: criteriaFields.require_success.default(true),
  require_score: criteriaFields.require_score.default(true),
  min_score: criteriaFields.min_score.default(0.85),
  request_schema: criteriaFields.request_schema.default(null),
  response_schema: criteriaFields.response_schema.default(null),
});
/** An edit names only what changes: no defaults here, or they would overwrite stored settings. */
export const CriteriaPatch = z.strictObject(criteriaFields).partial();
export type Criteria = z.infer<typeof Criteria>;

export const CustomHeader = z.strictObject({
  name: z.string().superRefine((name, ctx) => {
    const problem = checkHeaderName(name);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
  value: z.string().superRefine((value, ctx) => {
    const problem = checkHeaderValue(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
  enabled: z.boolean().default(true),
});
export type CustomHeader = z.infer<typeof CustomHeader>;

const headersField = z
  .array(CustomHeader)
  .max(MAX_HEADERS, `must have at most ${MAX_HEADERS} headers`)
  .superRefine((headers, ctx) => {
    const seen = new Set<string>();
    headers.forEach((h, i) => {
      const key = h.name.toLowerCase();
      if (seen.has(key)) ctx.addIssue({ code: "custom", message: `duplicates another header name (names are case-insensitive)`, path: [i, "name"] });
      seen.add(key);
    });
  });

const eventsField = z
  .array(z.enum(EVENT_NAMES, { error: "must be an event of the catalogue (GET /v1/event-types)" }))
  .min(1, "must name at least one event")
  .superRefine((events, ctx) => {
    const seen = new Set<string>();
    events.forEach((e, i) => {
      if (seen.has(e)) ctx.addIssue({ code: "custom", message: "is listed twice", path: [i] });
      seen.add(e);
    });
  });

const secretField = z
  .string()
  .min(16, "must be at least 16 characters")
  .max(256, "must be at most 256 characters")
  .superRefine((secret, ctx) => {
    if (/[\r\n\0]/.test(secret)) ctx.addIssue({ code: "custom", message: "must not contain CR, LF or NUL" });
    if (secret.startsWith("whsec_")) {
      try {
        const n = atob(secret.slice(6)).length;
        if (n < 24 || n > 64) throw new Error();
      } catch {
        ctx.addIssue({ code: "custom", message: "a whsec_ secret must be whsec_ followed by base64 of 24 to 64 bytes" });
      }
    }
  });

function urlField(policy: UrlPolicy) {
  return z
    .string()
    .superRefine((url, ctx) => {
      const problem = checkWebhookUrl(url, policy);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .meta({ format: "uri", maxLength: MAX_URL_LENGTH, description: "Public https endpoint (in local development also http://localhost:* and http://127.0.0.1:*)" });
}

function makeSchemas(policy: UrlPolicy) {
  const common = {
    name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters").describe('Descriptive name, e.g. "Production Webhook"'),
    description: z.string().max(2000, "must be at most 2000 characters").nullable().describe("Purpose and use case"),
    url: urlField(policy),
    method: z.enum(WEBHOOK_METHODS, { error: "must be POST, PUT or PATCH" }).describe("The HTTP method deliveries use"),
    headers: headersField.describe(
      "Custom headers added to every delivery. Values of credential headers (Authorization, *-Key, *-Token, *-Secret) are masked in responses; send a masked value back unchanged to keep it",
    ),
    secret: secretField.describe("Write-only HMAC signing secret. Left out, the service generates whsec_ + base64 of 32 random bytes and returns it once"),
  };
  const create = z
    .strictObject({
      type: z.enum(WEBHOOK_TYPES, { error: "must be event_notification or verification_check" }).describe("Cannot be changed later"),
      ...common,
      description: common.description.default(null),
      method: common.method.default("POST"),
      headers: common.headers.default([]),
      secret: common.secret.optional(),
      events: eventsField.optional().describe("Catalogue events to receive: required for event_notification, refused for verification_check"),
      criteria: Criteria.optional().describe("Pass criteria: verification_check only"),
      retry_schedule: retryScheduleField.optional(),
    })
    .superRefine((w, ctx) => {
      if (w.type === "event_notification") {
        if (w.events === undefined) ctx.addIssue({ code: "custom", message: "is required for event_notification webhooks", path: ["events"] });
        if (w.criteria !== undefined) ctx.addIssue({ code: "custom", message: "applies only to verification_check webhooks", path: ["criteria"] });
      } else {
        if (w.events !== undefined) ctx.addIssue({ code: "custom", message: "applies only to event_notification webhooks", path: ["events"] });
        if (w.retry_schedule !== undefined) ctx.addIssue({ code: "custom", message: RETRY_SCHEDULE_CHECK_RULE, path: ["retry_schedule"] });
      }
    });
  const patch = z
    .strictObject({
      ...common,
      description: common.description.optional(),
      name: common.name.optional(),
      url: common.url.optional(),
      method: common.method.optional(),
      headers: common.headers.optional(),
      secret: common.secret.optional(),
      events: eventsField.optional().describe("Catalogue events to receive (event_notification only)"),
      criteria: CriteriaPatch.optional().describe("The criteria to change (verification_check only); the others keep their values"),
      retry_schedule: retryScheduleField.optional(),
      type: z.any().optional().describe("Cannot be changed: refused when present"),
    })
    .superRefine((w, ctx) => {
      if (w.type !== undefined) ctx.addIssue({ code: "custom", message: "cannot be changed after creation", path: ["type"] });
    });
  return { create, patch };
}

const local = makeSchemas({ allowLocal: true });
const production = makeSchemas({ allowLocal: false });
export const webhookSchemas = (policy: UrlPolicy) => (policy.allowLocal ? local : production);
export type WebhookCreate = z.infer<typeof local.create>;
export type WebhookPatch = z.infer<typeof local.patch>;

/** Activate and pause take no fields; a body, if any, must be an empty object. */
export const EmptyBody = z.strictObject({});

export const ResumeBody = z.strictObject({
  replay_skipped: z.boolean().default(false).describe("Also send the deliveries skipped while the webhook was paused"),
});

export const WebhookListQuery = z.strictObject({
  status: z.enum(WEBHOOK_STATUSES).optional().describe("Only webhooks with this status"),
  type: z.enum(WEBHOOK_TYPES).optional().describe("Only webhooks of this type"),
  limit: z.coerce.number().int().min(1, "must be between 1 and 100").max(100, "must be between 1 and 100").default(20).describe("Page size"),
  cursor: z.string().regex(/^wh_[0-9a-z]{26}$/, "must be a next_cursor from a previous page").optional().describe("next_cursor of the previous page"),
});

export const Certificate = z.object({
  subject: z.string(),
  issuer: z.string(),
  serial: z.string(),
  fingerprint_sha256: z.string(),
  not_before: z.string(),
  not_after: z.string(),
  expires_in_days: z.number(),
  is_ca: z.boolean(),
  expiry_warning: z.boolean(),
});

export const WebhookOut = z.object({
  id: z.string(),
  type: z.enum(WEBHOOK_TYPES),
  name: z.string(),
  description: z.string().nullable(),
  url: z.string(),
  method: z.enum(WEBHOOK_METHODS),
  status: z.enum(WEBHOOK_STATUSES),
  events: z.array(z.string()),
  events_count: z.number(),
  headers: z.array(z.object({ name: z.string(), value: z.string(), enabled: z.boolean(), masked: z.boolean() })),
  criteria: Criteria.nullable(),
  secret_hint: z.string(),
  certificate: Certificate.nullable(),
  paused_reason: z.string().nullable(),
  retry_schedule: z.array(z.number().int()).nullable().describe("Seconds to wait before each retry; null for verification_check webhooks (checks are not retried)"),
  success_rate: z.number().nullable(),
  last_triggered_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  secret: z.string().optional().describe("Shown once, in the answer to the create call, when the service generated it"),
});
export type WebhookOut = z.infer<typeof WebhookOut>;

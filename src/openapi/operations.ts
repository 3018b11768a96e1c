/**
 * Every operation of the API, with the zod schemas its route validates with: the OpenAPI
 * document (document.ts) is generated from this list, so what it describes is what is enforced.
 * Two shapes are written by hand because their routes keep them private (marked `byHand`).
 */
import { z } from "zod";
import { EVENT_GROUPS, EVENT_NAMES } from "../catalogue";
import { CheckIn, CheckOut } from "../schemas/check";
import { CertificateIn, CertificateOut, CertificateValidateIn, CertificateValidation, certificateTrySchema } from "../schemas/certificate";
import { DeliveryOut, EventOut, ResendOut } from "../schemas/delivery";
import { EventAccepted, EventIn } from "../schemas/event";
import { ExportIn, ExportOut, LogPage, LogQuery, StatsOut } from "../schemas/logs";
import { ApiKeyCreate, ApiKeyList, ApiKeyOut, NotificationList, OrganisationCreate, OrganisationOut, StorageMeterOut } from "../schemas/organisation";
import { RecoverIn, RecoveryOut } from "../schemas/recovery";
import { SecretRotateIn, SecretRotateOut } from "../schemas/secret";
import { TimeseriesOut, TimeseriesQuery } from "../schemas/timeseries";
import { EmptyBody, ResumeBody, WebhookListQuery, WebhookOut, webhookSchemas } from "../schemas/webhook";

export type Auth = "operator" | "organisation" | "ingest" | "none";

/** A named schema: from zod (the one the route validates with), or described by hand. */
export type Named = { name: string; zod: z.ZodType } | { name: string; byHand: Record<string, unknown>; note: string };

export interface Operation {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** OpenAPI style: /v1/webhooks/{id} */
  path: string;
  tag: string;
  summary: string;
  auth: Auth;
  query?: z.ZodType;
  body?: Named;
  ok: { status: number; description: string; schema?: Named; contentType?: string };
  errors: number[];
}

/** What production enforces: public https URLs only (local development also allows localhost). */
const webhook = webhookSchemas({ allowLocal: false });

const EventTypeList = z.object({
  data: z.array(z.object({ name: z.enum(EVENT_NAMES), group: z.enum(EVENT_GROUPS), description: z.string() })),
});
const WebhookPage = z.object({ data: z.array(WebhookOut), next_cursor: z.string().nullable().describe("Pass as ?cursor= for the next page; null on the last") });
const ResumeOut = WebhookOut.extend({ replayed: z.number().int().describe("Skipped deliveries sent again (replay_skipped)") });

const TEST_NOTE = "Described by hand: src/routes/test-event.ts keeps its schema private.";
const TestEventBody: Named = {
  name: "TestEventIn",
  note: TEST_NOTE,
  byHand: {
    type: "object",
    properties: { event: { type: "string", description: "A catalogue event (required for event notification webhooks; verification checks are sent a sample check)" } },
    additionalProperties: false,
  },
};
const TestEventResult: Named = {
  name: "TestEventResult",
  note: TEST_NOTE,
  byHand: {
    type: "object",
    properties: {
      result: { type: "string", enum: ["success", "failed", "tls_error", "timeout", "connection_error"] },
      status_code: { type: ["integer", "null"] },
      response_time_ms: { type: ["integer", "null"] },
      error: { type: ["string", "null"] },
      event: { type: "string" },
      event_id: { type: "string" },
      delivery_id: { type: "string" },
    },
    required: ["result", "status_code", "response_time_ms", "error", "event", "event_id", "delivery_id"],
  },
};

const named = (name: string, zod: z.ZodType): Named => ({ name, zod });
const webhookOut = named("Webhook", WebhookOut);
const empty = named("EmptyBody", EmptyBody);
const W = "/v1/webhooks/{id}";

export const OPERATIONS: Operation[] = [
  { method: "get", path: "/", tag: "Meta", summary: "Service index: where the documentation is", auth: "none", ok: { status: 200, description: "Links" }, errors: [] },
  { method: "get", path: "/openapi.json", tag: "Meta", summary: "This OpenAPI 3.1 document", auth: "none", ok: { status: 200, description: "The document" }, errors: [] },
  { method: "get", path: "/docs", tag: "Meta", summary: "The document as a web page", auth: "none", ok: { status: 200, description: "HTML", contentType: "text/html" }, errors: [] },
  { method: "get", path: "/dashboard", tag: "Meta", summary: "The dashboard (sign in with an API key)", auth: "none", ok: { status: 200, description: "HTML", contentType: "text/html" }, errors: [] },
  { method: "get", path: "/dashboard/{file}", tag: "Meta", summary: "The dashboard's script (app.js) and stylesheet (app.css)", auth: "none", ok: { status: 200, description: "JavaScript or CSS", contentType: "text/javascript" }, errors: [404] },

  { method: "post", path: "/v1/organisations", tag: "Organisations", summary: "Create an organisation and its first API key (shown once)", auth: "operator", body: named("OrganisationCreate", OrganisationCreate), ok: { status: 201, description: "Created", schema: named("Organisation", OrganisationOut) }, errors: [400, 401, 413, 415] },
  { method: "post", path: "/v1/organisations/{id}/api-keys", tag: "Organisations", summary: "Add an API key (shown once)", auth: "operator", body: named("ApiKeyCreate", ApiKeyCreate), ok: { status: 201, description: "Created", schema: named("ApiKey", ApiKeyOut) }, errors: [400, 401, 404, 413, 415] },
  { method: "get", path: "/v1/organisations/{id}/api-keys", tag: "Organisations", summary: "List API keys (ids and ages; never the keys)", auth: "operator", ok: { status: 200, description: "The keys", schema: named("ApiKeyList", ApiKeyList) }, errors: [401, 404] },
  { method: "delete", path: "/v1/organisations/{id}/api-keys/{key_id}", tag: "Organisations", summary: "Revoke an API key (refused from the next request on)", auth: "operator", ok: { status: 204, description: "Revoked" }, errors: [401, 404] },
  { method: "get", path: "/v1/organisations/{id}/notifications", tag: "Organisations", summary: "Emails sent to the organisation (automatic pause notices), with each one's delivery: pending, sending, sent or failed, and the last error", auth: "operator", ok: { status: 200, description: "The notifications", schema: named("NotificationList", NotificationList) }, errors: [401, 404] },
  { method: "get", path: "/v1/organisations/{id}/storage-meter", tag: "Organisations", summary: "Storage rows the organisation's traffic wrote and read (event shards, webhook partitions), since each object started: what a delivery costs", auth: "operator", ok: { status: 200, description: "The meter", schema: named("StorageMeter", StorageMeterOut) }, errors: [401, 404] },

  { method: "get", path: "/v1/event-types", tag: "Webhooks", summary: "The event catalogue", auth: "organisation", ok: { status: 200, description: "All events", schema: named("EventTypeList", EventTypeList) }, errors: [401] },
  { method: "post", path: "/v1/webhooks", tag: "Webhooks", summary: "Create a webhook (status inactive; a generated secret is shown once)", auth: "organisation", body: named("WebhookCreate", webhook.create), ok: { status: 201, description: "Created", schema: webhookOut }, errors: [400, 401, 413, 415] },
  { method: "get", path: "/v1/webhooks", tag: "Webhooks", summary: "List webhooks, newest first", auth: "organisation", query: WebhookListQuery, ok: { status: 200, description: "A page", schema: named("WebhookPage", WebhookPage) }, errors: [400, 401] },
  { method: "get", path: W, tag: "Webhooks", summary: "One webhook", auth: "organisation", ok: { status: 200, description: "The webhook", schema: webhookOut }, errors: [401, 404] },
  { method: "patch", path: W, tag: "Webhooks", summary: "Edit any field but type", auth: "organisation", body: named("WebhookPatch", webhook.patch), ok: { status: 200, description: "The webhook", schema: webhookOut }, errors: [400, 401, 404, 413, 415] },
  { method: "delete", path: W, tag: "Webhooks", summary: "Delete a webhook with its logs and exports", auth: "organisation", ok: { status: 204, description: "Deleted" }, errors: [401, 404] },
  { method: "post", path: `${W}/activate`, tag: "Webhooks", summary: "inactive → active", auth: "organisation", body: empty, ok: { status: 200, description: "The webhook", schema: webhookOut }, errors: [400, 401, 404, 409] },
  { method: "post", path: `${W}/pause`, tag: "Webhooks", summary: "active → paused (deliveries are skipped and logged)", auth: "organisation", body: empty, ok: { status: 200, description: "The webhook", schema: webhookOut }, errors: [400, 401, 404, 409] },
  { method: "post", path: `${W}/resume`, tag: "Webhooks", summary: "paused → active, optionally replaying skipped deliveries", auth: "organisation", body: named("ResumeBody", ResumeBody), ok: { status: 200, description: "The webhook", schema: named("ResumedWebhook", ResumeOut) }, errors: [400, 401, 404, 409] },

  { method: "put", path: `${W}/certificate`, tag: "Certificates", summary: "Store the CA certificate (PEM)", auth: "organisation", body: named("CertificateIn", CertificateIn), ok: { status: 200, description: "Its details", schema: named("Certificate", CertificateOut) }, errors: [400, 401, 404, 413, 415, 422] },
  { method: "delete", path: `${W}/certificate`, tag: "Certificates", summary: "Remove the CA certificate", auth: "organisation", ok: { status: 204, description: "Removed" }, errors: [401, 404] },
  { method: "post", path: `${W}/certificate/validate`, tag: "Certificates", summary: "Check format and expiry, and try a TLS handshake with the webhook URL", auth: "organisation", body: named("CertificateValidateIn", CertificateValidateIn), ok: { status: 200, description: "The verdict", schema: named("CertificateValidation", CertificateValidation) }, errors: [400, 401, 404, 409, 413, 415] },
  { method: "post", path: "/v1/certificates/validate", tag: "Certificates", summary: "The same checks for a certificate and a URL, before any webhook exists (nothing is stored)", auth: "organisation", body: named("CertificateTryIn", certificateTrySchema({ allowLocal: false })), ok: { status: 200, description: "The verdict", schema: named("CertificateValidation", CertificateValidation) }, errors: [400, 401, 413, 415] },
  { method: "post", path: `${W}/secret/rotate`, tag: "Webhooks", summary: "Rotate the signing secret: both sign during the overlap; the new secret is shown once", auth: "organisation", body: named("SecretRotateIn", SecretRotateIn), ok: { status: 200, description: "The new secret", schema: named("SecretRotation", SecretRotateOut) }, errors: [400, 401, 404, 413, 415] },
  { method: "post", path: `${W}/test`, tag: "Testing", summary: "Send a signed test event now", auth: "organisation", body: TestEventBody, ok: { status: 200, description: "What happened", schema: TestEventResult }, errors: [400, 401, 404, 413, 415] },

  { method: "get", path: `${W}/logs`, tag: "Logs", summary: "Delivery attempts, newest first", auth: "organisation", query: LogQuery, ok: { status: 200, description: "A page", schema: named("LogPage", LogPage) }, errors: [400, 401, 404] },
  { method: "get", path: `${W}/deliveries/{delivery_id}`, tag: "Logs", summary: "A delivery: the payload exactly as sent, and every attempt with its request (credential values masked) and response (up to 1 KiB)", auth: "organisation", ok: { status: 200, description: "The delivery", schema: named("Delivery", DeliveryOut) }, errors: [401, 404] },
  { method: "post", path: `${W}/deliveries/{delivery_id}/resend`, tag: "Logs", summary: "One more attempt now, with the same X-Delivery-ID and webhook-id, signed with the current secret (409 while pending, or while the webhook is inactive or paused)", auth: "organisation", body: empty, ok: { status: 202, description: "Accepted: the attempt is queued", schema: named("Resent", ResendOut) }, errors: [400, 401, 404, 409, 413, 415] },
  { method: "get", path: `${W}/stats`, tag: "Logs", summary: "Delivery statistics", auth: "organisation", ok: { status: 200, description: "The statistics", schema: named("Stats", StatsOut) }, errors: [401, 404] },
  { method: "get", path: `${W}/stats/timeseries`, tag: "Logs", summary: "Deliveries and median response time per minute, hour or day (for charts)", auth: "organisation", query: TimeseriesQuery, ok: { status: 200, description: "One point per bucket, empty ones included", schema: named("Timeseries", TimeseriesOut) }, errors: [400, 401, 404] },
  { method: "post", path: `${W}/logs/export`, tag: "Logs", summary: "Export the logs as CSV (filters in the body or the query)", auth: "organisation", query: ExportIn, body: named("ExportIn", ExportIn), ok: { status: 202, description: "Accepted; see Location", schema: named("Export", ExportOut) }, errors: [400, 401, 404, 409, 413, 415] },
  { method: "post", path: `${W}/recover`, tag: "Logs", summary: "Re-send, once each, the deliveries created in [since, until) that ended failed or skipped (a background job; while one runs, it is the answer)", auth: "organisation", body: named("RecoverIn", RecoverIn), ok: { status: 202, description: "The recovery; see Location", schema: named("Recovery", RecoveryOut) }, errors: [400, 401, 404, 409, 413, 415] },
  { method: "get", path: `${W}/recoveries/{recovery_id}`, tag: "Logs", summary: "A recovery's progress", auth: "organisation", ok: { status: 200, description: "The recovery", schema: named("Recovery", RecoveryOut) }, errors: [401, 404] },
  { method: "get", path: "/v1/exports/{id}", tag: "Logs", summary: "An export's status", auth: "organisation", ok: { status: 200, description: "The export", schema: named("Export", ExportOut) }, errors: [401, 404] },
  { method: "get", path: "/v1/exports/{id}/download", tag: "Logs", summary: "The CSV file", auth: "organisation", ok: { status: 200, description: "CSV", contentType: "text/csv" }, errors: [401, 404, 409] },

  { method: "get", path: "/v1/events/{event_id}", tag: "Logs", summary: "An event of the organisation and where it went: each delivery, its webhook, status and attempts", auth: "organisation", ok: { status: 200, description: "The event", schema: named("Event", EventOut) }, errors: [401, 404] },
  { method: "post", path: "/v1/events", tag: "Internal", summary: "Ingest an event: fan out to subscribed webhooks", auth: "ingest", body: named("EventIn", EventIn), ok: { status: 202, description: "Accepted", schema: named("EventAccepted", EventAccepted) }, errors: [400, 401, 404, 409, 413, 415] },
  { method: "post", path: "/v1/checks", tag: "Internal", summary: "Run a verification check now", auth: "ingest", body: named("CheckIn", CheckIn), ok: { status: 200, description: "The verdict", schema: named("CheckResult", CheckOut) }, errors: [400, 401, 404, 409, 413, 415] },
];

/**
 * Sample `data` for each catalogue event, sent by test events. The product document's examples
 * ("Event Payloads") are used as they are; the other events have samples in the same style, and
 * webhook.delivery.failed has the shape the delivery pipeline announces. Every sample passes the
 * event's data schema where one exists (src/schemas/event.ts), so a receiver's validation of a
 * test event behaves as it will for real ones.
 */
import type { EventName } from "./catalogue";

/** What a verification check sends as its event name (X-Nafsi-Event, and the log's event). */
export const CHECK_EVENT = "verification.check";

export const EVENT_SAMPLES: Record<EventName, Record<string, unknown>> = {
  "verification.started": { verification_id: "ver_xyz789", workflow_id: "wf_abc123", workflow_name: "Basic KYC", status: "started" },
  "verification.completed": {
    verification_id: "ver_xyz789",
    workflow_id: "wf_abc123",
    workflow_name: "Basic KYC",
    status: "success",
    confidence: 0.87,
    units_consumed: 11,
    processing_time_ms: 2340,
    result: {
      decision: "approved",
      extracted_data: { full_name: "JOHN KAMAU DOE", date_of_birth: "1990-01-15", national_id_number: "12345678" },
      checks: { face_match: { result: "pass", confidence: 0.87 } },
    },
    metadata: { customer_id: "cust_123" },
  },
  "verification.failed": {
    verification_id: "ver_uvw012",
    workflow_id: "wf_abc123",
    status: "failed",
    reason: "Face match confidence below threshold",
    failed_check: "face_match",
    confidence: 0.62,
    threshold: 0.75,
    units_consumed: 5,
  },
  "verification.timeout": { verification_id: "ver_rst345", workflow_id: "wf_abc123", status: "timeout", timeout_ms: 30000, units_consumed: 2 },
  "verification.review_required": {
    verification_id: "ver_opq678",
    workflow_id: "wf_abc123",
    status: "review_required",
    reason: "Document image partly unreadable",
    confidence: 0.71,
  },
  "workflow.created": { workflow_id: "wf_def456", workflow_name: "Enhanced KYC", status: "inactive" },
  "workflow.updated": { workflow_id: "wf_def456", workflow_name: "Enhanced KYC", changed_fields: ["checks"] },
  "workflow.activated": { workflow_id: "wf_def456", workflow_name: "Enhanced KYC", status: "active" },
  "workflow.deactivated": { workflow_id: "wf_def456", workflow_name: "Enhanced KYC", status: "inactive" },
  "units.low_balance": { current_balance: 850, threshold: 1000, estimated_verifications_remaining: 70, projected_depletion_date: "2026-01-29" },
  "units.depleted": { current_balance: 0, depleted_at: "2026-01-29T09:12:00Z" },
  "webhook.delivery.failed": {
    webhook_id: "wh_example",
    delivery_id: "dlv_example",
    event_id: "evt_abc123",
    event: "verification.completed",
    attempts: 3,
    error_code: "http_5xx",
    response_code: 500,
  },
  "client.credits.low": { client_id: "cli_123", current_balance: 40, threshold: 100 },
};

/** What a test of a verification check webhook sends as the check's input. */
export const CHECK_SAMPLE_INPUT: Record<string, unknown> = {
  verification_id: "test_ver_123",
  workflow_id: "wf_abc123",
  check: "custom_liveness",
};

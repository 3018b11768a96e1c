/** The API's shapes as the dashboard reads them (API.md). */
export type WebhookType = "event_notification" | "verification_check";
export type WebhookStatus = "inactive" | "active" | "paused";
export type Method = "POST" | "PUT" | "PATCH";

export interface Header {
  name: string;
  value: string;
  enabled: boolean;
  masked?: boolean;
}

export interface Criteria {
  require_success: boolean;
  require_score: boolean;
  min_score: number;
  request_schema: unknown;
  response_schema: unknown;
}

export interface CertificateDetails {
  subject: string;
  issuer: string;
  fingerprint_sha256: string;
  not_after: string;
  expires_in_days: number;
  expiry_warning: boolean;
}

export interface Webhook {
  id: string;
  type: WebhookType;
  name: string;
  description: string | null;
  url: string;
  method: Method;
  status: WebhookStatus;
  events: string[];
  events_count: number;
  headers: Header[];
  criteria: Criteria | null;
  secret_hint: string;
  certificate: CertificateDetails | null;
  paused_reason: string | null;
  /** Seconds before each retry; null for verification checks. */
  retry_schedule: number[] | null;
  success_rate: number | null;
  last_triggered_at: string | null;
  secret?: string;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface EventType {
  name: string;
  group: "verification" | "workflow" | "billing" | "system";
  description: string;
}

export interface CertificateValidation {
  valid: boolean;
  message: string;
  expires_in_days: number | null;
  expiry_warning: boolean | null;
  details: CertificateDetails | null;
  handshake: { ok: boolean; error: string | null; error_code: string | null };
}

export interface TestResult {
  result: "success" | "failed" | "tls_error" | "timeout" | "connection_error";
  status_code: number | null;
  response_time_ms: number | null;
  error: string | null;
  event: string;
}

export interface LogRow {
  id: string;
  delivery_id: string;
  event: string;
  attempt: number;
  status: "success" | "failed" | "retrying" | "skipped";
  response_code: number | null;
  response_time_ms: number | null;
  error: string | null;
  test: boolean;
  timestamp: string;
}

export interface Stats {
  total_deliveries: number;
  successful_deliveries: number;
  failed_deliveries: number;
  median_response_time_ms: number | null;
  success_rate: number | null;
  last_success_at: string | null;
  last_failure_at: string | null;
}

export interface TimeseriesPoint {
  t: string;
  success: number;
  failed: number;
  median_response_time_ms: number | null;
}

export interface Export {
  id: string;
  status: "pending" | "running" | "done" | "failed";
  rows: number;
  error: string | null;
}

/**
 * Tenant-scoped reads of one delivery with its attempts, and of one event with its deliveries
 * (the delivery's detail, the event lookup and resend). Each is one round trip: a batch.
 */

export interface DeliveryRecord {
  id: string;
  organisation_id: number;
  webhook_id: string;
  event_id: string;
  event: string;
  status: "pending" | "success" | "failed" | "skipped";
  attempts: number;
  test: number;
  created_at: number;
  /** The exact payload sent; null for a test event or a check, whose body is not stored. */
  body: string | null;
  webhook_status: "inactive" | "active" | "paused";
  paused_reason: string | null;
}

/** An attempt with what its request is built again from: the revision it was sent with. */
export interface AttemptDetailRecord {
  id: string;
  attempt: number;
  status: "success" | "failed" | "retrying" | "skipped";
  response_code: number | null;
  response_time_ms: number | null;
  response_content_type: string | null;
  response_body: string | null;
  error_code: string | null;
  error: string | null;
  created_at: number;
  signed_headers: string | null;
  revision_id: string | null;
  /** Null when the attempt has no revision (a skip, or logged before migration 0012). */
  url: string | null;
  method: string | null;
  headers_enc: string | null;
  secret_enc: string | null;
  previous_secret_enc: string | null;
  previous_secret_expires_at: number | null;
}

/** The delivery, or null when the organisation has no such delivery of that webhook. */
export function deliveryQuery(d1: D1Database, organisationId: number, webhookId: string, deliveryId: string) {
  return d1
    .prepare(
      `SELECT d.id, d.organisation_id, d.webhook_id, d.event_id, d.event, d.status, d.attempts, d.test, d.created_at,
              e.body, w.status AS webhook_status, w.paused_reason
         FROM deliveries d
         JOIN webhooks w ON w.organisation_id = d.organisation_id AND w.id = d.webhook_id
         LEFT JOIN events e ON e.organisation_id = d.organisation_id AND e.id = d.event_id
        WHERE d.organisation_id = ? AND d.webhook_id = ? AND d.id = ?`,
    )
    .bind(organisationId, webhookId, deliveryId);
}

export async function findDelivery(d1: D1Database, organisationId: number, webhookId: string, deliveryId: string): Promise<DeliveryRecord | null> {
  return deliveryQuery(d1, organisationId, webhookId, deliveryId).first<DeliveryRecord>();
}

/** The delivery and its attempts in order (attempts_delivery index), or null. */
export async function findDeliveryDetail(
  d1: D1Database,
  organisationId: number,
  webhookId: string,
  deliveryId: string,
): Promise<{ delivery: DeliveryRecord; attempts: AttemptDetailRecord[] } | null> {
  const [delivery, attempts] = await d1.batch([
    deliveryQuery(d1, organisationId, webhookId, deliveryId),
    d1
      .prepare(
        `SELECT a.id, a.attempt, a.status, a.response_code, a.response_time_ms, a.response_content_type, a.response_body,
                a.error_code, a.error, a.created_at, a.signed_headers, a.revision_id,
                r.url, r.method, r.headers_enc, r.secret_enc, r.previous_secret_enc, r.previous_secret_expires_at
           FROM attempts a
           LEFT JOIN webhook_revisions r ON r.id = a.revision_id AND r.organisation_id = a.organisation_id
          WHERE a.delivery_id = ? AND a.organisation_id = ? AND a.webhook_id = ?
          ORDER BY a.attempt, a.created_at`,
      )
      .bind(deliveryId, organisationId, webhookId),
  ]);
  const found = delivery!.results[0] as DeliveryRecord | undefined;
  if (!found) return null;
  return { delivery: found, attempts: attempts!.results as AttemptDetailRecord[] };
}

export interface EventRecord {
  id: string;
  event: string;
  body: string;
  deliveries: { id: string; webhook_id: string; status: string; attempts: number }[];
}

/** An event of the organisation with each of its deliveries, or null. */
export async function findEvent(d1: D1Database, organisationId: number, eventId: string): Promise<EventRecord | null> {
  const [event, deliveries] = await d1.batch([
    d1.prepare("SELECT id, event, body FROM events WHERE organisation_id = ? AND id = ?").bind(organisationId, eventId),
    d1
      .prepare("SELECT id, webhook_id, status, attempts FROM deliveries WHERE organisation_id = ? AND event_id = ? ORDER BY webhook_id, id")
      .bind(organisationId, eventId),
  ]);
  const found = event!.results[0] as { id: string; event: string; body: string } | undefined;
  if (!found) return null;
  return { ...found, deliveries: deliveries!.results as EventRecord["deliveries"] };
}

import type { AttemptDetailRecord, DeliveryRecord, EventRecord } from "../db/deliveries";
import { requestAsSent, RevisionCache } from "../delivery/attempt";
import type { DeliveryRow } from "../delivery/load";
import { Signer } from "../delivery/sign";
import { headersAsSent } from "../delivery/signing-headers";
import { iso } from "../lib/encoding";
import type { AttemptDetail, DeliveryOut, EventOut } from "./delivery";

/** Attempts that never reached the network: nothing to show as their request. */
const NOT_SENT = new Set(["url_forbidden", "secret_unavailable"]);

/**
 * The request of one attempt: built again from the revision it was sent with, at its logged
 * time, the same way delivery builds it (requestAsSent), with the secret-dependent headers as
 * stored (signing-headers.ts).
 */
async function requestOf(signer: Signer, revisions: RevisionCache, d: DeliveryRecord, a: AttemptDetailRecord): Promise<AttemptDetail["request"]> {
  if (a.status === "skipped" || (a.error_code !== null && NOT_SENT.has(a.error_code))) return null;
  if (a.revision_id === null || a.url === null || a.method === null || a.headers_enc === null || a.secret_enc === null) return null;
  // Only the fields requestAsSent reads: the delivery, its body and the attempt's revision.
  const row = {
    id: d.id,
    organisation_id: d.organisation_id,
    webhook_id: d.webhook_id,
    event_id: d.event_id,
    event: d.event,
    body: d.body ?? "",
    revision_id: a.revision_id,
    url: a.url,
    method: a.method,
    headers_enc: a.headers_enc,
    secret_enc: a.secret_enc,
    previous_secret_enc: a.previous_secret_enc,
    previous_secret_expires_at: a.previous_secret_expires_at,
  } as DeliveryRow;
  const req = await requestAsSent(signer, revisions, row, a.created_at);
  if (!req) return null;
  return { method: req.method, url: req.url, headers: Object.fromEntries(headersAsSent(req.headers, a.signed_headers)) };
}

/** The API's view of a delivery: the payload as sent and every attempt with its request and response. */
export async function presentDelivery(key: string, d: DeliveryRecord, attempts: AttemptDetailRecord[]): Promise<DeliveryOut> {
  const signer = new Signer();
  const revisions = new RevisionCache(key);
  const log = await Promise.all(
    attempts.map(async (a): Promise<AttemptDetail> => ({
      id: a.id,
      attempt: a.attempt,
      status: a.status,
      timestamp: iso(a.created_at)!,
      request: await requestOf(signer, revisions, d, a),
      response: a.response_code === null ? null : {
        status_code: a.response_code,
        content_type: a.response_content_type,
        body: a.response_body,
        response_time_ms: a.response_time_ms,
      },
      error_code: a.error_code,
      error: a.error,
    })),
  );
  return {
    id: d.id,
    event_id: d.event_id,
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    test: d.test === 1,
    created_at: iso(d.created_at)!,
    body: d.body,
    log,
  };
}

/** The event as its receivers got it (its stored body), and where it went. */
export function presentEvent(e: EventRecord): EventOut {
  const body = JSON.parse(e.body) as { timestamp: string; data: Record<string, unknown> };
  return {
    event_id: e.id,
    event: e.event,
    timestamp: body.timestamp,
    data: body.data,
    deliveries: e.deliveries.map((d) => ({ id: d.id, webhook_id: d.webhook_id, status: d.status as EventOut["deliveries"][number]["status"], attempts: d.attempts })),
  };
}

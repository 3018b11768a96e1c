import { freshDetails, type CertificateDetails } from "../certificates/describe";
import type { WebhookWithStats } from "../db/webhooks";
import { ApiError } from "../errors";
import { iso } from "../lib/encoding";
import { isCredentialHeader, maskValue } from "../security/header-policy";
import { open } from "../security/secret-box";
import type { CustomHeader, Criteria, WebhookOut } from "./webhook";

/**
 * The stored custom headers. A key that cannot open them is an operator's problem, not a bug:
 * a 503 that says so, instead of a 500 on every read of every webhook.
 */
export async function readHeaders(key: string, headersEnc: string): Promise<CustomHeader[]> {
  let plain: string;
  try {
    plain = await open(key, headersEnc);
  } catch {
    throw new ApiError("UNAVAILABLE", "Stored webhook settings cannot be decrypted: the service's SECRET_ENCRYPTION_KEY does not match the one they were saved with");
  }
  return JSON.parse(plain) as CustomHeader[];
}

/** Success rate as a percentage with two decimals, null before the first attempt. */
export const successRate = (total: number, successful: number) =>
  total === 0 ? null : Math.round((successful / total) * 10000) / 100;

/** The API's view of a webhook: no secret, credential header values masked. */
export async function presentWebhook(key: string, w: WebhookWithStats): Promise<WebhookOut> {
  const headers = (await readHeaders(key, w.headersEnc)).map((h) => {
    const masked = isCredentialHeader(h.name);
    return { name: h.name, value: masked ? maskValue(h.value) : h.value, enabled: h.enabled, masked };
  });
  return {
    id: w.id,
    type: w.type,
    name: w.name,
    description: w.description,
    url: w.url,
    method: w.method,
    status: w.status,
    events: w.events,
    events_count: w.events.length,
    headers,
    criteria: (w.criteria as Criteria | null) ?? null,
    secret_hint: w.secretHint,
    // Days until expiry (and the warning) as of now, not as of the upload.
    certificate: w.certificate ? freshDetails(w.certificate as unknown as CertificateDetails) : null,
    paused_reason: w.pausedReason,
    // Checks are answered in the request that runs them: nothing to retry.
    retry_schedule: w.type === "event_notification" ? w.retrySchedule : null,
    success_rate: w.stats ? successRate(w.stats.total, w.stats.successful) : null,
    last_triggered_at: iso(w.stats?.lastTriggeredAt),
    created_at: iso(w.createdAt)!,
    updated_at: iso(w.updatedAt)!,
  };
}

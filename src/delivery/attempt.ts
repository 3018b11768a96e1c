import type { Env } from "../env";
import { isProduction } from "../env";
import type { CustomHeader } from "../schemas/webhook";
import { checkWebhookUrl } from "../security/url-policy";
import { open } from "../security/secret-box";
import { buildRequest, type OutgoingRequest } from "./build-request";
import type { DeliveryRow } from "./load";
import type { Outcome } from "./retry-policy";
import { send, timeoutMs, type Unanswered } from "./send";
import type { Signer } from "./sign";

export interface Revision {
  secret: string;
  /** The secret before a rotation, while its overlap lasts (routes/secret.ts); the caller checks the expiry. */
  previousSecret: string | null;
  headers: CustomHeader[];
}

/** Decrypts each revision once per batch. A key that cannot open it fails closed (no unsigned send). */
export class RevisionCache {
  private readonly cache = new Map<string, Promise<Revision | null>>();
  constructor(private readonly key: string) {}

  get(revisionId: string, secretEnc: string, headersEnc: string, previousSecretEnc: string | null = null): Promise<Revision | null> {
    let rev = this.cache.get(revisionId);
    if (!rev) {
      rev = Promise.all([open(this.key, secretEnc), open(this.key, headersEnc), previousSecretEnc === null ? null : open(this.key, previousSecretEnc)])
        .then(([secret, headers, previousSecret]) => ({ secret, previousSecret, headers: JSON.parse(headers) as CustomHeader[] }))
        .catch((err) => {
          console.error(JSON.stringify({ level: "error", msg: "cannot decrypt webhook revision", revisionId, error: String(err) }));
          return null;
        });
      this.cache.set(revisionId, rev);
    }
    return rev;
  }
}

const refused = (errorCode: "url_forbidden" | "secret_unavailable", error: string): Outcome => ({
  ok: false,
  statusCode: null,
  responseTimeMs: null,
  errorCode,
  error,
});

/**
 * The request for one attempt: the URL checked again (a stored URL may have been changed behind
 * the API), the revision decrypted, the body signed. Or, when it must not be sent, why not.
 * `startedAt` is the attempt's logged time: webhook-timestamp is its whole seconds, so that the
 * delivery's detail can build the same headers again (requestAsSent).
 */
export async function prepareRequest(env: Env, signer: Signer, revisions: RevisionCache, row: DeliveryRow, startedAt = Date.now()): Promise<{ req: OutgoingRequest } | { refused: Outcome }> {
  const urlProblem = checkWebhookUrl(row.url, { allowLocal: !isProduction(env) });
  if (urlProblem) return { refused: refused("url_forbidden", `The webhook URL ${urlProblem}`) };
  const req = await requestAsSent(signer, revisions, row, startedAt);
  if (!req) return { refused: refused("secret_unavailable", "The webhook secret could not be decrypted; nothing was sent") };
  return { req };
}

/**
 * The request a revision makes of a delivery at a time: the same bytes whenever it is built, so
 * the delivery's detail shows an attempt's headers by building them again instead of storing
 * them. Null when the revision cannot be decrypted.
 */
export async function requestAsSent(signer: Signer, revisions: RevisionCache, row: DeliveryRow, startedAt: number): Promise<OutgoingRequest | null> {
  const rev = await revisions.get(row.revision_id, row.secret_enc, row.headers_enc, row.previous_secret_enc);
  if (!rev) return null;
  // Past its expiry the previous secret no longer signs, even before maintenance erases it.
  const overlapping = row.previous_secret_expires_at !== null && startedAt < row.previous_secret_expires_at;
  return buildRequest(signer, {
    url: row.url,
    method: row.method,
    secret: rev.secret,
    previousSecret: overlapping ? rev.previousSecret : null,
    customHeaders: rev.headers,
    webhookId: row.webhook_id,
    deliveryId: row.id,
    event: row.event,
    body: row.body,
  }, startedAt);
}

/** One attempt at one delivery: prepare, then send (within the lane's patience). Never throws. */
export function attemptDelivery(env: Env, signer: Signer, revisions: RevisionCache, row: DeliveryRow, patienceMs?: null, startedAt?: number): Promise<Outcome>;
export function attemptDelivery(env: Env, signer: Signer, revisions: RevisionCache, row: DeliveryRow, patienceMs: number | null, startedAt?: number): Promise<Outcome | Unanswered>;
export async function attemptDelivery(env: Env, signer: Signer, revisions: RevisionCache, row: DeliveryRow, patienceMs: number | null = null, startedAt = Date.now()): Promise<Outcome | Unanswered> {
  const prepared = await prepareRequest(env, signer, revisions, row, startedAt);
  return "refused" in prepared ? prepared.refused : send(env, prepared.req, timeoutMs(env), patienceMs);
}

import type { CustomHeader } from "../schemas/webhook";
import { utf8 } from "../lib/encoding";
import { isStandardSecret, type Signer } from "./sign";

export const USER_AGENT = "Nafsi-Webhooks/1.0";

export interface OutgoingRequest {
  url: string;
  method: string;
  headers: Headers;
  body: Uint8Array;
}

export interface RequestParts {
  url: string;
  method: string;
  secret: string;
  /** During a rotation's overlap, the secret before `secret` (both sign); null otherwise. */
  previousSecret?: string | null;
  customHeaders: CustomHeader[];
  webhookId: string;
  deliveryId: string;
  event: string;
  /** The event's body exactly as stored: these bytes are signed and sent. */
  body: string;
}

/** The headers of API.md: ours, then the webhook's enabled custom headers (which cannot clash). */
export async function buildRequest(signer: Signer, p: RequestParts, nowMs = Date.now()): Promise<OutgoingRequest> {
  const bytes = utf8.encode(p.body);
  const headers = new Headers();
  for (const h of p.customHeaders) if (h.enabled) headers.set(h.name, h.value);
  headers.set("Content-Type", "application/json");
  headers.set("User-Agent", USER_AGENT);
  headers.set("X-Nafsi-Event", p.event);
  headers.set("X-Webhook-ID", p.webhookId);
  headers.set("X-Delivery-ID", p.deliveryId);
  // During a rotation's overlap X-Nafsi-Signature stays the previous secret's, so receivers
  // that verify it with the product document's snippet go on working until they switch.
  const previous = p.previousSecret ?? null;
  headers.set("X-Nafsi-Signature", await signer.nafsiSignature(previous ?? p.secret, bytes));
  if (previous !== null) headers.set("X-Nafsi-Signature-Next", await signer.nafsiSignature(p.secret, bytes));
  // Standard Webhooks lists every signature, space-separated; a verifier accepts any that matches.
  const standard = [previous, p.secret].filter((s): s is string => s !== null && isStandardSecret(s));
  if (standard.length > 0) {
    const ts = Math.floor(nowMs / 1000);
    headers.set("webhook-id", p.deliveryId);
    headers.set("webhook-timestamp", String(ts));
    const signatures = await Promise.all(standard.map((s) => signer.standardSignature(s, p.deliveryId, ts, p.body)));
    headers.set("webhook-signature", signatures.join(" "));
  }
  return { url: p.url, method: p.method, headers, body: bytes };
}

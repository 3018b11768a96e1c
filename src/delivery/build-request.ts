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
  headers.set("X-Nafsi-Signature", await signer.nafsiSignature(p.secret, bytes));
  if (isStandardSecret(p.secret)) {
    const ts = Math.floor(nowMs / 1000);
    headers.set("webhook-id", p.deliveryId);
    headers.set("webhook-timestamp", String(ts));
    headers.set("webhook-signature", await signer.standardSignature(p.secret, p.deliveryId, ts, p.body));
  }
  return { url: p.url, method: p.method, headers, body: bytes };
}

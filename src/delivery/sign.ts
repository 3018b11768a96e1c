import { fromBase64, toBase64, toHex, utf8 } from "../lib/encoding";

/**
 * HMAC-SHA256 signing with WebCrypto. A signer lives for one queue batch and imports each
 * secret's key once, however many messages of the batch use it.
 *
 * - `X-Nafsi-Signature: sha256=<hex>`: HMAC of the exact body bytes, keyed with the secret's
 *   UTF-8 bytes (the product document's verification snippet).
 * - Standard Webhooks, for `whsec_` secrets: `webhook-signature: v1,<base64>`, HMAC of
 *   `<webhook-id>.<webhook-timestamp>.<body>`, keyed with the base64-decoded part after `whsec_`.
 */
export class Signer {
  private readonly keys = new Map<string, Promise<CryptoKey>>();

  private key(raw: Uint8Array, cacheKey: string): Promise<CryptoKey> {
    let key = this.keys.get(cacheKey);
    if (!key) {
      key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      this.keys.set(cacheKey, key);
    }
    return key;
  }

  async nafsiSignature(secret: string, body: Uint8Array): Promise<string> {
    const key = await this.key(utf8.encode(secret), `n:${secret}`);
    return `sha256=${toHex(await crypto.subtle.sign("HMAC", key, body))}`;
  }

  async standardSignature(secret: string, msgId: string, timestamp: number, body: string): Promise<string> {
    const key = await this.key(fromBase64(secret.slice("whsec_".length)), `s:${secret}`);
    const signed = await crypto.subtle.sign("HMAC", key, utf8.encode(`${msgId}.${timestamp}.${body}`));
    return `v1,${toBase64(signed)}`;
  }
}

export const isStandardSecret = (secret: string) => secret.startsWith("whsec_");

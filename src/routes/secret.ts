/**
 * Rotating a webhook's signing secret without a gap. For the overlap every delivery, test event
 * and check is signed with both secrets (src/delivery/build-request.ts): X-Nafsi-Signature with
 * the previous one, X-Nafsi-Signature-Next and webhook-signature with the new one too, so a
 * receiver can switch whenever it likes. Mounted under /v1/webhooks (organisation auth).
 */
import { Hono } from "hono";
import { db } from "../db/client";
import { rotateSecret } from "../db/secret-rotation";
import { findWebhook } from "../db/webhooks";
import { ApiError, fieldError, notFound } from "../errors";
import { iso } from "../lib/encoding";
import { jsonBody, type AppEnv } from "../middleware";
import { SecretRotateIn, type SecretRotateOut } from "../schemas/secret";
import { generateWebhookSecret } from "../security/api-keys";
import { open, seal } from "../security/secret-box";
import { validate } from "../validate";

export const secretRoutes = new Hono<AppEnv>();

/** The stored secret; a key that cannot open it is the operator's problem (503), as for reads. */
async function storedSecret(key: string, secretEnc: string): Promise<string> {
  try {
    return await open(key, secretEnc);
  } catch {
    throw new ApiError("UNAVAILABLE", "The stored webhook secret cannot be decrypted: the service's SECRET_ENCRYPTION_KEY does not match the one it was saved with");
  }
}

secretRoutes.post("/:id/secret/rotate", jsonBody(), validate("json", SecretRotateIn), async (c) => {
  const input = c.req.valid("json");
  const organisationId = c.get("organisationId");
  const w = await findWebhook(db(c.env.DB), organisationId, c.req.param("id"));
  if (!w) throw notFound("Webhook");
  const key = c.env.SECRET_ENCRYPTION_KEY;
  // "Rotating" to the secret in use would leave the secret one meant to replace signing.
  if (input.secret !== undefined && input.secret === (await storedSecret(key, w.secretEnc))) {
    throw fieldError("secret", "must differ from the current secret");
  }
  const secret = input.secret ?? generateWebhookSecret();
  const now = Date.now();
  const expiresAt = now + input.overlap_seconds * 1000;
  const rotated = await rotateSecret(c.env.DB, organisationId, w.id, {
    secretEnc: await seal(key, secret),
    secretHint: secret.slice(-4),
    previousExpiresAt: input.overlap_seconds > 0 ? expiresAt : null,
    now,
  });
  // Deleted between the read and the write.
  if (!rotated) throw notFound("Webhook");
  const out: SecretRotateOut = { secret, secret_hint: secret.slice(-4), previous_secret_expires_at: iso(expiresAt)! };
  return c.json(out);
});

/**
 * The CA certificate of a webhook ("Step 2: Authentication (mTLS)"): upload it, and validate it
 * with a TLS handshake against the webhook's URL. Mounted under /v1/webhooks (organisation auth).
 */
import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import { testHandshake, type Handshake } from "../certificates/handshake";
import type { CertificateDetails } from "../certificates/describe";
import { inspectPem, type Inspection } from "../certificates/inspect";
import { db } from "../db/client";
import { webhooks } from "../db/schema";
import { findWebhook } from "../db/webhooks";
import { ApiError, fieldError, notFound } from "../errors";
import { jsonBody, type AppEnv } from "../middleware";
import { CertificateIn, CertificateValidateIn, type CertificateValidation } from "../schemas/certificate";
import { validate } from "../validate";

export const certificateRoutes = new Hono<AppEnv>();

/** A PEM that is not a certificate is a 400 naming the field; an expired one is refused (422). */
function refuse(inspection: Extract<Inspection, { ok: false }>): never {
  if (inspection.problem === "format") throw fieldError("pem", inspection.message);
  throw new ApiError("UNPROCESSABLE", inspection.message, [{ path: "pem", message: inspection.message }]);
}

const store = (env: AppEnv["Bindings"], organisationId: number, id: string, pem: string | null, details: CertificateDetails | null) =>
  db(env.DB)
    .update(webhooks)
    .set({ certificatePem: pem, certificate: details as Record<string, unknown> | null, updatedAt: Date.now() })
    .where(and(eq(webhooks.organisationId, organisationId), eq(webhooks.id, id)));

certificateRoutes.put("/:id/certificate", jsonBody(), validate("json", CertificateIn), async (c) => {
  const organisationId = c.get("organisationId");
  const w = await findWebhook(db(c.env.DB), organisationId, c.req.param("id"));
  if (!w) throw notFound("Webhook");
  const inspection = await inspectPem(c.req.valid("json").pem);
  if (!inspection.ok) refuse(inspection);
  await store(c.env, organisationId, w.id, c.req.valid("json").pem, inspection.details);
  return c.json({ ...inspection.details, chain_length: inspection.chain.length });
});

certificateRoutes.delete("/:id/certificate", async (c) => {
  const organisationId = c.get("organisationId");
  const w = await findWebhook(db(c.env.DB), organisationId, c.req.param("id"));
  if (!w) throw notFound("Webhook");
  await store(c.env, organisationId, w.id, null, null);
  return c.body(null, 204);
});

certificateRoutes.post("/:id/certificate/validate", jsonBody(), validate("json", CertificateValidateIn), async (c) => {
  const organisationId = c.get("organisationId");
  const w = await findWebhook(db(c.env.DB), organisationId, c.req.param("id"));
  if (!w) throw notFound("Webhook");
  const candidate = c.req.valid("json").pem;
  const pem = candidate ?? w.certificatePem;
  if (!pem) {
    throw new ApiError("INVALID_STATE", `The webhook has no certificate: upload it first (PUT /v1/webhooks/${w.id}/certificate), or send {"pem": ...} to try one`);
  }
  const inspection = await inspectPem(pem);
  if (!inspection.ok && inspection.problem === "format") refuse(inspection);
  const handshake = await testHandshake(c.env, w.url);
  // The stored details carry a day count that ages; a validation refreshes them.
  if (!candidate && inspection.details) await store(c.env, organisationId, w.id, pem, inspection.details);
  return c.json(validation(inspection, handshake));
});

export function validation(inspection: Inspection, handshake: Handshake): CertificateValidation {
  const details = inspection.details ?? null;
  const problems: string[] = [];
  if (!inspection.ok) problems.push(inspection.message);
  if (!handshake.ok) problems.push(handshake.error!);
  const summary = details
    ? `expires in ${details.expires_in_days} days, ${details.expiry_warning ? "expiry warning: renew it soon" : "no expiry warning"}`
    : "";
  return {
    valid: problems.length === 0,
    message: problems.length === 0 ? `Certificate valid, ${summary}` : `Certificate not valid: ${problems.join(" ")}`,
    expires_in_days: details?.expires_in_days ?? null,
    expiry_warning: details?.expiry_warning ?? null,
    details,
    handshake,
  };
}

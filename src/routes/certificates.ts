/**
 * Trying a CA certificate before any webhook exists (the create wizard's "Validate Certificate"):
 * the same checks and answer as a webhook's certificate/validate (src/routes/certificate.ts), for a
 * URL sent with it. Nothing is stored. Mounted under /v1/certificates (organisation auth).
 */
import { Hono } from "hono";
import { testHandshake } from "../certificates/handshake";
import { inspectPem } from "../certificates/inspect";
import { isProduction } from "../env";
import { fieldError } from "../errors";
import { jsonBody, type AppEnv } from "../middleware";
import { certificateTrySchema, type CertificateTry } from "../schemas/certificate";
import { validate } from "../validate";
import { validation } from "./certificate";

export const certificatesRoutes = new Hono<AppEnv>();

certificatesRoutes.post(
  "/validate",
  jsonBody(),
  // A refused URL is a 400 naming url, as on a webhook: the policy is the deployment's.
  async (c, next) => validate("json", certificateTrySchema({ allowLocal: !isProduction(c.env) }))(c as never, next),
  async (c) => {
    const { pem, url } = c.req.valid("json" as never) as CertificateTry;
    const inspection = await inspectPem(pem);
    // Not a certificate at all: nothing to try a handshake for. Expired or not yet valid: the
    // verdict says so, with the handshake, as the webhook's route answers.
    if (!inspection.ok && inspection.problem === "format") throw fieldError("pem", inspection.message);
    return c.json(validation(inspection, await testHandshake(c.env, url)));
  },
);

import { z } from "zod";
import type { UrlPolicy } from "../security/url-policy";
import { Certificate, webhookSchemas } from "./webhook";

const pem = z.string({
  error: (issue) =>
    issue.input === undefined
      ? 'is required: send {"pem": "-----BEGIN CERTIFICATE-----\\n...\\n-----END CERTIFICATE-----\\n"}, the text of your CA certificate'
      : "must be a string: the text of your CA certificate in PEM format",
});

/** PUT /v1/webhooks/{id}/certificate */
export const CertificateIn = z.strictObject({ pem });

/** POST /v1/webhooks/{id}/certificate/validate: the stored certificate, or one to try before storing it. */
export const CertificateValidateIn = z.strictObject({ pem: pem.optional() });

/**
 * POST /v1/certificates/validate: a certificate and the URL it is for, before any webhook exists.
 * The URL is held to the webhook URL's own rule (the same zod field), so what passes here saves.
 */
const tryIn = (policy: UrlPolicy) => z.strictObject({ pem, url: webhookSchemas(policy).create.shape.url });
const tryLocal = tryIn({ allowLocal: true });
const tryProduction = tryIn({ allowLocal: false });
export const certificateTrySchema = (policy: UrlPolicy) => (policy.allowLocal ? tryLocal : tryProduction);
export type CertificateTry = z.infer<typeof tryLocal>;

export const CertificateOut = Certificate.extend({
  chain_length: z.number().int().describe("How many certificates the PEM held; the details are the first one's"),
});

export const HandshakeOut = z.object({
  ok: z.boolean(),
  error: z.string().nullable(),
  error_code: z.enum(["not_reachable", "tls_refused", "timeout", "no_tls", "url_forbidden", "cloudflare_proxied"]).nullable(),
  status_code: z.number().nullable(),
  response_time_ms: z.number().nullable(),
  client_certificate: z.boolean().describe("Whether our client certificate was presented (through the mTLS binding, in production)"),
});

export const CertificateValidation = z.object({
  valid: z.boolean(),
  message: z.string().describe('For a person: "Certificate valid, expires in 365 days, no expiry warning", or what failed'),
  expires_in_days: z.number().nullable(),
  expiry_warning: z.boolean().nullable(),
  details: Certificate.nullable(),
  handshake: HandshakeOut,
});
export type CertificateValidation = z.infer<typeof CertificateValidation>;

import { z } from "zod";
import { Certificate } from "./webhook";

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

export const CertificateOut = Certificate.extend({
  chain_length: z.number().int().describe("How many certificates the PEM held; the details are the first one's"),
});

export const HandshakeOut = z.object({
  ok: z.boolean(),
  error: z.string().nullable(),
  error_code: z.enum(["not_reachable", "tls_refused", "timeout", "no_tls", "url_forbidden"]).nullable(),
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

/**
 * The details of one X.509 certificate, parsed with pkijs (pure JavaScript: runs in workerd).
 * Formats follow openssl, so a person can compare with `openssl x509 -noout -fingerprint
 * -sha256 -serial -subject`: colon-separated upper-case SHA-256, upper-case hex serial.
 * Names are RFC 4514 strings (most specific first: "CN=Acme Root CA,O=Acme Ltd,C=KE").
 */
import { Certificate as X509, type RelativeDistinguishedNames } from "pkijs";
import { toHex } from "../lib/encoding";

/** The issue's rule for the expiry warning: 30 days' notice is time enough to renew. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export interface CertificateDetails {
  subject: string;
  issuer: string;
  serial: string;
  fingerprint_sha256: string;
  not_before: string;
  not_after: string;
  expires_in_days: number;
  is_ca: boolean;
  expiry_warning: boolean;
}

const NAMES: Record<string, string> = {
  "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.9": "STREET", "2.5.4.10": "O",
  "2.5.4.11": "OU", "2.5.4.5": "serialNumber", "0.9.2342.19200300.100.1.25": "DC",
  "0.9.2342.19200300.100.1.1": "UID", "1.2.840.113549.1.9.1": "emailAddress",
};
const BASIC_CONSTRAINTS = "2.5.29.19";

const escapeValue = (v: string) => v.replace(/([\\,+"<>;=])/g, "\\$1").replace(/^([ #])/, "\\$1").replace(/ $/, "\\ ");

export function distinguishedName(name: RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => `${NAMES[tv.type] ?? tv.type}=${escapeValue(String((tv.value.valueBlock as { value?: unknown }).value ?? ""))}`)
    .reverse()
    .join(",");
}

/** Whole days until expiry, rounded up: a certificate made with `-days 365` "expires in 365 days". */
export const daysUntil = (notAfterMs: number, now: number) => Math.ceil((notAfterMs - now) / DAY_MS) || 0;

/** Throws when the bytes are not an X.509 certificate. */
export async function describeCertificate(der: Uint8Array, now = Date.now()): Promise<CertificateDetails> {
  const cert = X509.fromBER(der);
  const notAfter = cert.notAfter.value.getTime();
  const days = daysUntil(notAfter, now);
  const subject = distinguishedName(cert.subject);
  const issuer = distinguishedName(cert.issuer);
  const constraints = cert.extensions?.find((e) => e.extnID === BASIC_CONSTRAINTS)?.parsedValue as { cA?: boolean } | undefined;
  // As OpenSSL does: a v1 self-signed certificate (what the product document's commands make)
  // has no extensions and is taken as a CA; otherwise basicConstraints must say so.
  const isCa = constraints ? constraints.cA === true : cert.version === 0 && subject === issuer;
  return {
    subject,
    issuer,
    serial: toHex(cert.serialNumber.valueBlock.valueHexView).toUpperCase().replace(/^(00)+(?=.)/, ""),
    fingerprint_sha256: toHex(await crypto.subtle.digest("SHA-256", der)).toUpperCase().replace(/(..)(?!$)/g, "$1:"),
    not_before: cert.notBefore.value.toISOString(),
    not_after: new Date(notAfter).toISOString(),
    expires_in_days: days,
    is_ca: isCa,
    expiry_warning: days <= EXPIRY_WARNING_DAYS,
  };
}

/** Stored details carry a day count that ages: recompute it (and the warning) for display. */
export function freshDetails(stored: CertificateDetails, now = Date.now()): CertificateDetails {
  const days = daysUntil(Date.parse(stored.not_after), now);
  return { ...stored, expires_in_days: days, expiry_warning: days <= EXPIRY_WARNING_DAYS };
}

/**
 * Format and expiry of an uploaded CA certificate (or chain). The details shown are the first
 * certificate's; every certificate of a chain must be within its validity period, since the
 * chain breaks as soon as any of them has expired.
 */
import { describeCertificate, type CertificateDetails } from "./describe";
import { readPem } from "./read-pem";

export type Inspection =
  | { ok: true; details: CertificateDetails; chain: CertificateDetails[] }
  | { ok: false; problem: "format"; message: string; details?: undefined }
  | { ok: false; problem: "expired" | "not_yet_valid"; message: string; details: CertificateDetails };

const day = (iso: string) => iso.slice(0, 10);

export async function inspectPem(text: string, now = Date.now()): Promise<Inspection> {
  const read = readPem(text);
  if (!read.ok) return { ok: false, problem: "format", message: read.message };

  const chain: CertificateDetails[] = [];
  for (const [i, der] of read.ders.entries()) {
    const which = read.ders.length > 1 ? `certificate ${i + 1} of ${read.ders.length}` : "the certificate";
    try {
      chain.push(await describeCertificate(der, now));
    } catch {
      return { ok: false, problem: "format", message: `${which} is not a valid X.509 certificate (its contents are damaged or it is another kind of PEM object)` };
    }
  }

  for (const [i, d] of chain.entries()) {
    const which = chain.length > 1 ? `Certificate ${i + 1} of ${chain.length} (${d.subject})` : `The certificate (${d.subject})`;
    if (Date.parse(d.not_after) <= now) {
      const ago = -d.expires_in_days;
      return { ok: false, problem: "expired", details: chain[0]!, message: `${which} expired on ${day(d.not_after)}${ago > 0 ? `, ${ago} days ago` : ""}: renew it and upload the new one` };
    }
    if (Date.parse(d.not_before) > now) {
      return { ok: false, problem: "not_yet_valid", details: chain[0]!, message: `${which} is not valid until ${d.not_before}: upload it from that date on, or check the clock of the machine that made it` };
    }
  }
  return { ok: true, details: chain[0]!, chain };
}

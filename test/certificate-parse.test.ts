import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { daysUntil, describeCertificate, freshDetails } from "../src/certificates/describe";
import { inspectPem } from "../src/certificates/inspect";
import { MAX_PEM_CHARS, readPem } from "../src/certificates/read-pem";

const certs = inject("certs");
const der = (pem: string) => {
  const r = readPem(pem);
  if (!r.ok) throw new Error(r.message);
  return r.ders;
};
const refusal = (text: string) => {
  const r = readPem(text);
  return r.ok ? "accepted" : r.message;
};

describe("reading PEM", () => {
  it("reads one certificate and a chain of two", () => {
    expect(der(certs.valid)).toHaveLength(1);
    expect(der(certs.chain)).toHaveLength(2);
  });

  it("tells DER apart, as base64 and as raw bytes, and gives the openssl command", () => {
    expect(refusal(certs.derBase64)).toContain("openssl x509 -inform der -in ca.der -out ca.pem");
    expect(refusal(certs.derAsText)).toMatch(/^is binary data: .*openssl x509 -inform der/);
  });

  it("names the usual wrong files: private key, signing request, PKCS#7, PKCS#12", () => {
    expect(refusal(certs.privateKey)).toMatch(/private key/);
    expect(refusal(certs.valid + certs.privateKey)).toMatch(/private key/);
    expect(refusal(certs.csr)).toMatch(/signing request/);
    expect(refusal("-----BEGIN PKCS7-----\nMIIB\n-----END PKCS7-----\n")).toContain("openssl pkcs7 -print_certs");
    // PFX: SEQUENCE { INTEGER 3, ... }
    const pfx = btoa(String.fromCharCode(0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03, ...new Array(60).fill(0x41)));
    expect(refusal(pfx)).toContain("openssl pkcs12");
  });

  it("refuses garbage, an empty text, a cut-off certificate and broken base64", () => {
    expect(refusal(certs.garbage)).toMatch(/^is not a PEM certificate: send the certificate's text/);
    expect(refusal("  \n")).toMatch(/^is empty/);
    expect(refusal(certs.valid.replace("-----END CERTIFICATE-----", ""))).toMatch(/cut short/);
    expect(refusal(certs.valid.replace(/\n([A-Za-z0-9+/]{10})/, "\n!!$1"))).toMatch(/not valid base64/);
  });

  it("refuses an oversized text with the limit and what to send instead", () => {
    expect(refusal(certs.valid.repeat(Math.ceil(MAX_PEM_CHARS / certs.valid.length) + 1))).toMatch(/more than the 65536 allowed: send only your CA/);
  });
});

describe("certificate details", () => {
  it("agree with openssl: fingerprint, serial, end date, subject, issuer, CA flag", async () => {
    const d = await describeCertificate(der(certs.valid)[0]!);
    expect(d.fingerprint_sha256).toBe(certs.validView.fingerprint);
    expect(d.serial).toBe(certs.validView.serial);
    expect(d.not_after).toBe(certs.validView.notAfter);
    expect(d.subject).toBe("CN=Acme Webhook Root CA,O=Acme Ltd,C=KE");
    expect(d.issuer).toBe(d.subject);
    expect(d.is_ca).toBe(true);
    expect(d.expires_in_days).toBe(365);
    expect(d.expiry_warning).toBe(false);
  });

  it("describe the first certificate of a chain, issued by the root", async () => {
    const [inter] = der(certs.chain);
    const d = await describeCertificate(inter!);
    expect(d.subject).toBe("CN=Acme Intermediate CA,O=Acme Ltd");
    expect(d.issuer).toBe("CN=Acme Chain Root CA,O=Acme Ltd");
    expect(d.fingerprint_sha256).toBe(certs.chainIntermediateView.fingerprint);
  });

  it("warn within 30 days of expiry", async () => {
    const d = await describeCertificate(der(certs.expiring10Days)[0]!);
    expect(d.expires_in_days).toBe(10);
    expect(d.expiry_warning).toBe(true);
  });

  it("take the product document's self-signed v1 certificate as a CA, as OpenSSL does", async () => {
    const d = await describeCertificate(der(certs.docSelfSigned)[0]!);
    expect(d.subject).toBe("CN=api.myapp.com");
    expect(d.is_ca).toBe(true);
  });

  it("age when read later: days and warning recomputed from not_after", async () => {
    const d = await describeCertificate(der(certs.valid)[0]!);
    const later = Date.parse(d.not_after) - 20 * 86_400_000;
    expect(freshDetails(d, later)).toEqual({ ...d, expires_in_days: 20, expiry_warning: true });
  });

  it("count whole days rounded up", () => {
    const now = Date.UTC(2026, 0, 1);
    expect(daysUntil(now + 365 * 86_400_000 - 5_000, now)).toBe(365);
    expect(daysUntil(now + 1, now)).toBe(1);
    expect(daysUntil(now - 86_400_000 * 2.5, now)).toBe(-2);
  });
});

describe("inspection", () => {
  it("refuses an expired certificate, saying when it expired", async () => {
    const r = await inspectPem(certs.expired);
    expect(r).toMatchObject({ ok: false, problem: "expired" });
    expect(r.ok ? "" : r.message).toMatch(/^The certificate \(CN=Acme Expired CA,O=Acme Ltd\) expired on \d{4}-\d\d-\d\d, 35 days ago: renew it/);
  });

  it("refuses a certificate not valid yet", async () => {
    expect(await inspectPem(certs.notYetValid)).toMatchObject({ ok: false, problem: "not_yet_valid" });
  });

  it("refuses a chain with an expired certificate, naming which", async () => {
    const r = await inspectPem(certs.chainWithExpired);
    expect(r.ok ? "" : r.message).toMatch(/^Certificate 2 of 2 \(CN=Acme Expired CA/);
  });

  it("refuses PEM armour around bytes that are not a certificate", async () => {
    const r = await inspectPem("-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n");
    expect(r).toMatchObject({ ok: false, problem: "format" });
  });
});

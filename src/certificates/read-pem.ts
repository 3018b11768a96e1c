/**
 * Turns what a person pasted into DER certificates, or says what it is instead and what to do.
 * The refusals name the usual mistakes: a DER file (binary, or its base64 without the PEM lines),
 * a private key, a signing request, a PKCS#7 or PKCS#12 bundle.
 */
import { fromBase64 } from "../lib/encoding";

/** A CA certificate or a chain of them is a few KB; a whole CA bundle is not what we want. */
export const MAX_PEM_CHARS = 64 * 1024;
export const MAX_CHAIN = 10;

export type PemReading = { ok: true; ders: Uint8Array[] } | { ok: false; message: string };

const DER_HINT =
  "it looks like a DER (binary) certificate; convert it to PEM with `openssl x509 -inform der -in ca.der -out ca.pem` and send the text of ca.pem";
const PEM_SHAPE = "send the certificate's text, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----";

const OTHER_BLOCKS: [RegExp, string][] = [
  [/PRIVATE KEY/, "contains a private key: never send a private key (treat this one as exposed); send only the CA certificate"],
  [/CERTIFICATE REQUEST/, "is a certificate signing request, not a certificate: send the CA certificate that signs your server's certificate"],
  [/^PKCS7$/, "is a PKCS#7 bundle: extract its certificates with `openssl pkcs7 -print_certs -in bundle.p7b -out ca.pem` and send ca.pem"],
  [/^TRUSTED CERTIFICATE$/, "is an OpenSSL trusted certificate: convert it with `openssl x509 -in ca.crt -out ca.pem` and send ca.pem"],
  [/PUBLIC KEY/, "is a public key, not a certificate: send the CA certificate"],
  [/X509 CRL/, "is a certificate revocation list, not a certificate: send the CA certificate"],
];

const BLOCK = /-----BEGIN ([A-Z0-9 #]+)-----([\s\S]*?)(?:-----END \1-----|$)/g;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function readPem(text: string): PemReading {
  const fail = (message: string): PemReading => ({ ok: false, message });
  if (text.trim() === "") return fail(`is empty: ${PEM_SHAPE}`);
  if (text.length > MAX_PEM_CHARS) {
    return fail(`is ${text.length} characters, more than the ${MAX_PEM_CHARS} allowed: send only your CA certificate (or its chain), not a bundle of many CAs`);
  }
  // DER pasted as text: control characters, or the UTF-8 replacement character of invalid bytes.
  if (/[\u0000-\u0008\u000e-\u001f\u007f-\u009f\ufffd]/.test(text)) return fail(`is binary data: ${DER_HINT}`);

  const blocks = [...text.matchAll(BLOCK)].map((m) => ({ label: m[1]!, body: m[2]!, closed: m[0].includes("-----END ") }));
  if (blocks.length === 0) return fail(notPem(text.replace(/\s+/g, "")));

  for (const b of blocks) {
    if (b.label === "CERTIFICATE") continue;
    const known = OTHER_BLOCKS.find(([re]) => re.test(b.label));
    return fail(known ? known[1] : `contains a -----BEGIN ${b.label}----- block; only CERTIFICATE blocks are accepted`);
  }
  if (blocks.length > MAX_CHAIN) return fail(`has ${blocks.length} certificates; send at most ${MAX_CHAIN} (your CA and its chain)`);

  const ders: Uint8Array[] = [];
  for (const [i, b] of blocks.entries()) {
    const which = blocks.length > 1 ? `certificate ${i + 1} of ${blocks.length}` : "the certificate";
    if (!b.closed) return fail(`${which} is cut short: its -----END CERTIFICATE----- line is missing`);
    const body = b.body.replace(/\s+/g, "");
    if (body.includes(":")) return fail(`${which} has PEM headers (it may be encrypted); send a plain certificate`);
    if (!BASE64.test(body)) return fail(`${which} is not valid base64 between its BEGIN and END lines; copy the file again without changes`);
    ders.push(fromBase64(body));
  }
  return { ok: true, ders };
}

/** No PEM block at all: DER as base64, a PKCS#12 bundle, or something else. */
function notPem(compact: string): string {
  if (BASE64.test(compact) && compact.length >= 64) {
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(compact);
    } catch {
      return `is not a PEM certificate: ${PEM_SHAPE}`;
    }
    if (isPkcs12(bytes)) {
      return "looks like a PKCS#12 (.p12/.pfx) bundle: extract the CA certificate with `openssl pkcs12 -in bundle.p12 -nokeys -cacerts -out ca.pem` and send ca.pem";
    }
    if (bytes[0] === 0x30) return `is base64 without the PEM lines: ${DER_HINT}`;
  }
  return `is not a PEM certificate: ${PEM_SHAPE}`;
}

/** PFX ::= SEQUENCE { version INTEGER (3), ... }; a certificate starts with SEQUENCE { SEQUENCE ... }. */
function isPkcs12(b: Uint8Array): boolean {
  if (b[0] !== 0x30) return false;
  const lenBytes = b[1]! & 0x80 ? b[1]! & 0x7f : 0;
  const at = 2 + lenBytes;
  return b[at] === 0x02 && b[at + 1] === 0x01 && b[at + 2] === 0x03;
}

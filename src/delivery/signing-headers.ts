/**
 * The headers of a request that depend on the webhook's secret (build-request.ts). Everything
 * else a delivery sends is a function of its revision (URL, method, custom headers), the
 * delivery and the attempt's time, so the delivery's detail builds it again instead of storing
 * it. These cannot be: a rotation changes every revision's secret in place (db/secret-rotation.ts)
 * and erases the previous one after the overlap. So they are kept with each attempt, already
 * masked (about 120 bytes, where the whole masked header set is about 400).
 */
import { isCredentialHeader, maskValue } from "../security/header-policy";

export const SIGNING_HEADERS: readonly string[] = ["x-nafsi-signature", "x-nafsi-signature-next", "webhook-id", "webhook-timestamp", "webhook-signature"];

/** A header as the API shows it: credential values masked (header-policy.ts), like a webhook's own headers. */
export const masked = (name: string, value: string): [string, string] => [name, isCredentialHeader(name) ? maskValue(value) : value];

/** The signing headers a request carried, masked, as stored with its attempt (JSON pairs). */
export function signedHeaders(headers: Headers): string {
  return JSON.stringify(SIGNING_HEADERS.flatMap((name) => {
    const value = headers.get(name);
    return value === null ? [] : [masked(name, value)];
  }));
}

/**
 * The headers an attempt was sent with, masked: those built again from its revision, with the
 * signing ones replaced by what was stored (or, for an attempt logged before they were stored,
 * left as built).
 */
export function headersAsSent(rebuilt: Headers, stored: string | null): [string, string][] {
  const signing = stored === null ? null : (JSON.parse(stored) as [string, string][]);
  const out: [string, string][] = [];
  for (const [name, value] of rebuilt) if (signing === null || !SIGNING_HEADERS.includes(name)) out.push(masked(name, value));
  if (signing) out.push(...signing);
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

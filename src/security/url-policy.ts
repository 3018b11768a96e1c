/**
 * Where a webhook may point. The parsed hostname is checked, never the raw string: the WHATWG
 * URL parser already turns decimal, octal, hex and short IPv4 forms into dotted quads and
 * compresses IPv6, so one check covers every spelling it accepts. Checked when a webhook is
 * saved and again right before each send (a stored URL may have been changed behind the API).
 * DNS names that resolve to private addresses cannot be seen from a Worker; on the edge,
 * Workers cannot reach private networks anyway.
 */
export const MAX_URL_LENGTH = 2048;

export interface UrlPolicy {
  /** Local development (API.md): http(s)://localhost:* and http(s)://127.0.0.1:* are allowed. */
  allowLocal: boolean;
}

const LOCAL_DEV_HOSTS = new Set(["localhost", "127.0.0.1"]);
const FORBIDDEN_SUFFIXES = [
  ".localhost", ".local", ".localdomain", ".home.arpa",
  // Private-use top-level names that RFC 6762 Appendix G lists as in use on private networks.
  ".intranet", ".internal", ".private", ".corp", ".home", ".lan",
];

/** Returns why the URL is refused, or null when it is allowed. */
export function checkWebhookUrl(raw: string, policy: UrlPolicy): string | null {
  if (raw.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  // The parser silently drops these (and tabs or newlines inside), so the stored text would not be what is fetched.
  if (/[\u0000-\u0020\u007f]/.test(raw)) return "must not contain spaces or control characters";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute URL";
  }
  if (url.username || url.password) return "must not contain user information";
  const host = url.hostname.toLowerCase().replace(/\.+$/, "");
  if (policy.allowLocal && LOCAL_DEV_HOSTS.has(host) && (url.protocol === "http:" || url.protocol === "https:")) {
    return null;
  }
  if (url.protocol !== "https:") return "must use https";
  if (!host) return "must have a host";
  if (host.startsWith("[")) return checkIpv6(host.slice(1, -1));
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return checkIpv4(host.split(".").map(Number));
  if (host === "localhost" || FORBIDDEN_SUFFIXES.some((s) => host.endsWith(s))) {
    return "must not point to a local or internal host name";
  }
  if (!host.includes(".")) return "must be a public, fully qualified host name";
  return null;
}

type Range = [base: number[], bits: number];
/** IPv4 ranges that are not the public internet (IANA special-purpose registry). */
const V4_FORBIDDEN: Range[] = [
  [[0, 0, 0, 0], 8], [[10, 0, 0, 0], 8], [[100, 64, 0, 0], 10], [[127, 0, 0, 0], 8],
  [[169, 254, 0, 0], 16], [[172, 16, 0, 0], 12], [[192, 0, 0, 0], 24], [[192, 0, 2, 0], 24],
  [[192, 88, 99, 0], 24], [[192, 168, 0, 0], 16], [[198, 18, 0, 0], 15], [[198, 51, 100, 0], 24],
  [[203, 0, 113, 0], 24], [[224, 0, 0, 0], 4], [[240, 0, 0, 0], 4],
  [[168, 63, 129, 16], 32], // Azure's platform endpoint (instance metadata, DNS): public space, cloud-internal use
];

function inRange(addr: number[], [base, bits]: Range, width: number): boolean {
  for (let i = 0; i < addr.length && bits > 0; i++, bits -= width) {
    const take = Math.min(width, bits);
    const mask = ((1 << take) - 1) << (width - take);
    if ((addr[i]! & mask) !== (base[i]! & mask)) return false;
  }
  return true;
}

function checkIpv4(octets: number[]): string | null {
  if (V4_FORBIDDEN.some((r) => inRange(octets, r, 8))) {
    return "must not point to a private, loopback, link-local, shared, multicast, reserved or metadata address";
  }
  return null;
}

function parseIpv6(text: string): number[] | null {
  let head = text;
  const tailWords: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const o = v4[1]!.split(".").map(Number);
    tailWords.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!);
    head = text.slice(0, -v4[1]!.length).replace(/:$/, ":0").replace(/::0$/, "::");
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const [left, right] = head.split("::") as [string, string | undefined];
  const words = (s: string) => (s ? s.split(":").map((w) => parseInt(w, 16)) : []);
  const l = words(left);
  const r = right === undefined ? [] : words(right);
  const fill = 8 - tailWords.length - l.length - r.length;
  if (fill < 0 || (right === undefined && fill !== 0)) return null;
  const all = [...l, ...new Array(fill).fill(0), ...r, ...tailWords];
  return all.length === 8 && all.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? all : null;
}

/** Only global unicast (2000::/3) is the public IPv6 internet; these parts of it are not. */
const V6_GLOBAL: Range = [[0x2000], 3];
const V6_FORBIDDEN: Range[] = [
  [[0x2001, 0], 23], // IETF protocol assignments (Teredo, ORCHID and benchmarking among them)
  [[0x2001, 0xdb8], 32], // documentation
  [[0x3fff, 0], 20], // documentation (RFC 9637)
];

function checkIpv6(text: string): string | null {
  const w = parseIpv6(text);
  if (!w) return "must have a valid IPv6 address";
  const embedded = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255];
  // IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address.
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) return checkIpv4(embedded(w[6]!, w[7]!));
  if (w[0] === 0x64 && w[1] === 0xff9b && w.slice(2, 6).every((x) => x === 0)) return checkIpv4(embedded(w[6]!, w[7]!));
  if (w[0] === 0x2002) return checkIpv4(embedded(w[1]!, w[2]!));
  // Outside 2000::/3: unspecified, loopback, IPv4-compatible and -translated, discard, unique local
  // (fd00:ec2::254 is a metadata address), link-local, site-local, multicast, reserved.
  if (!inRange(w, V6_GLOBAL, 16) || V6_FORBIDDEN.some((r) => inRange(w, r, 16))) {
    return "must not point to a private, loopback, link-local, multicast or reserved address";
  }
  return null;
}

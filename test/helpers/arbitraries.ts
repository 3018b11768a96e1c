/**
 * fast-check generators of hostile input for test/properties.test.ts: ingest bodies, webhook
 * URLs and custom header lists, from plausible to malicious.
 */
import fc from "fast-check";
import { EVENT_NAMES } from "../../src/catalogue";

/** Anything a string can hold: every code point, control characters and separators included. */
const controls = fc.constantFrom("\r", "\n", "\0", "\t", "\u0001", "\u001f", "\u007f", "\u0085", "\u2028", "\ufeff", "\ud800");
export const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.tuple(fc.string({ maxLength: 10 }), controls, fc.string({ maxLength: 10 })).map((p) => p.join("")),
);
const numbers = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, -1, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, 5e-324, 1.5));
/** Not what a field wants. */
const wrongType = fc.oneof(numbers, anyText, fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }));

// ------------------------------------------------------------------------------------- ingest

const data = fc.oneof(
  fc.constant({ verification_id: "ver_1", workflow_id: "wf_1", status: "success", reason: "r" }),
  fc.record({ verification_id: fc.oneof(anyText, wrongType), workflow_id: anyText, status: anyText, confidence: numbers }, { requiredKeys: [] }),
  fc.object({ stringUnit: "binary", maxDepth: 3 }),
  fc.jsonValue({ stringUnit: "binary", maxDepth: 3 }),
);

/** A valid event (of the events whose data is any object), then one field made strange or dropped. */
const nearlyValid = (organisationId: number) =>
  fc
    .tuple(
      fc.record({
        event: fc.constantFrom("units.depleted", "workflow.created", "client.credits.low"),
        organisation_id: fc.constant(organisationId),
        data: fc.object({ stringUnit: "binary", maxDepth: 3 }),
        event_id: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,128}$/),
        timestamp: fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString()),
      }, { requiredKeys: ["event", "organisation_id", "data"] }),
      fc.option(fc.tuple(fc.constantFrom("event", "organisation_id", "data", "event_id", "timestamp", "extra_field"), fc.oneof(wrongType, fc.constant(undefined)))),
    )
    .map(([body, change]) => (change ? { ...body, [change[0]]: change[1] } : body) as Record<string, unknown>);

/** Ingest bodies: valid ones, and the right fields with wrong or strange values, some missing, some extra. */
export const ingestBody = (organisationId: number) =>
  fc.oneof(nearlyValid(organisationId), fc
    .record(
      {
        event: fc.oneof(fc.constantFrom(...EVENT_NAMES), anyText, wrongType),
        organisation_id: fc.oneof(fc.constant(organisationId), numbers, wrongType),
        data,
        event_id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,128}$/), anyText, wrongType),
        timestamp: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.constantFrom("2026-01-28T10:30:00+03:00", "2026-02-30T00:00:00Z", "+275760-09-13T00:00:00.000Z", "2026-01-28"),
          anyText,
          wrongType,
        ),
        extra_field: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    )
    .map((b) => b as Record<string, unknown>));

/** Whole request bodies as text: any JSON, broken JSON, numbers JSON cannot hold, deep nesting. */
export const rawBody = (organisationId: number) =>
  fc.oneof(
    fc.jsonValue({ stringUnit: "binary", maxDepth: 4 }).map((v) => JSON.stringify(v) ?? "null"),
    anyText,
    fc.constantFrom("1e400", "-1e400", "123456789012345678901234567890", "-0", "1e-400").map(
      (n) => `{"event":"units.depleted","organisation_id":${organisationId},"data":{"n":${n},"big":[${n}]}}`,
    ),
    fc.constantFrom("1e400", "1.0", "1e0", "-0", "9007199254740993").map((n) => `{"event":"units.depleted","organisation_id":${n},"data":{}}`),
    fc.integer({ min: 95, max: 200 }).map((n) => `{"event":"units.depleted","organisation_id":${organisationId},"data":{"d":${"[".repeat(n)}${"]".repeat(n)}}}`),
    fc.string({ maxLength: 20 }).map((s) => `{"event":"units.depleted","data":{}, ${s}`),
  );

// ---------------------------------------------------------------------------------------- URLs

/** Private, loopback, link-local and metadata IPv4 addresses. */
const privateV4 = fc.oneof(
  fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(127), fc.nat(255), fc.nat(255), fc.integer({ min: 2, max: 255 })),
  fc.tuple(fc.constant(169), fc.constant(254), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(192), fc.constant(168), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(100), fc.integer({ min: 64, max: 127 }), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(0), fc.nat(255), fc.nat(255), fc.nat(255)),
);

const hex4 = (n: number) => n.toString(16);
/** The spellings of one IPv4 address that the URL parser reads as that address. */
function spellings([a, b, c, d]: number[]): string[] {
  const n = ((a! << 24) >>> 0) + (b! << 16) + (c! << 8) + d!;
  return [
    `${a}.${b}.${c}.${d}`, `${a}.${b}.${c}.${d}.`, String(n), `0x${n.toString(16)}`, `0${n.toString(8)}`,
    `0x${a!.toString(16)}.0${b!.toString(8)}.${c}.0x${d!.toString(16)}`, `${a}.${(b! << 16) + (c! << 8) + d!}`, `${a}.${b}.${(c! << 8) + d!}`,
    `[::ffff:${a}.${b}.${c}.${d}]`, `[::ffff:${hex4((a! << 8) + b!)}:${hex4((c! << 8) + d!)}]`, `[64:ff9b::${a}.${b}.${c}.${d}]`,
    `[2002:${hex4((a! << 8) + b!)}:${hex4((c! << 8) + d!)}::1]`, `${[a, b, c, d].map((x) => String(x).replace(/\d/g, (k) => String.fromCharCode(0xff10 + Number(k)))).join("．")}`,
  ];
}

/** https URLs whose host is a private address in some spelling: every one must be refused. */
export const privateHostUrl = fc
  .tuple(privateV4, fc.nat(12), fc.constantFrom("", ":443", ":8443"), fc.constantFrom("/", "/latest/meta-data/", "/hook?x=1"))
  .map(([ip, k, port, path]) => `https://${spellings(ip)[k]}${port}${path}`);

export const privateV6Url = fc
  .constantFrom("::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "::127.0.0.1", "0:0:0:0:0:0:0:1", "ff02::1", "2001:db8::1", "100::1", "::ffff:0:0")
  .map((h) => `https://[${h}]/hook`);

const hostile = fc.constantFrom(
  "https://user:pass@api.myapp.com/", "https://api.myapp.com@169.254.169.254/", "https://localhost/", "https://x.localhost/", "https://db.internal/",
  "https://printer.local/", "https://intranet/", "javascript:alert(1)", "file:///etc/passwd", "ftp://api.myapp.com/", "https://", "https:///x",
  "https://api.myapp.com:99999/", "https://[::1/", "https://exa mple.com/", "https://ex\tample.com/", "https://xn--80ak6aa92e.com/", "https://аpple.com/",
  "https://api.myapp.com/\u0000", "https://%31%32%37.0.0.1/", "http://api.myapp.com/", "HTTPS://API.MYAPP.COM/", "https://api.myapp.com./", "https://127.0.0.1.nip.io/",
  "https://wiki.intranet/", "https://vault.PRIVATE./", "https://git.corp/", "https://nas.home./", "https://a.b.lan/", "https://corp.example.com/", "https://x.plan/",
);

export const anyUrl = fc.oneof(
  fc.webUrl({ validSchemes: ["https"], withQueryParameters: true, withFragments: true }),
  fc.webUrl({ validSchemes: ["https", "http", "ftp"], authoritySettings: { withIPv4: true, withIPv6: true, withIPv4Extended: true, withUserInfo: true, withPort: true }, withQueryParameters: true, withFragments: true }),
  privateHostUrl,
  privateV6Url,
  hostile,
  fc.tuple(anyText, fc.constantFrom(".example.com", ".com", "")).map(([h, tld]) => `https://${h}${tld}/hook`),
  fc.integer({ min: 2030, max: 2100 }).map((n) => `https://api.myapp.com/${"a".repeat(n)}`),
  anyText,
  wrongType,
);

// ------------------------------------------------------------------------------------- headers

const headerName = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,24}$/),
  fc.constantFrom("Authorization", "X-Api-Key", "X-Auth-Token", "Host", "Content-Length", "Transfer-Encoding", "Content-Type", "X-Nafsi-Signature", "webhook-id", "X-Forwarded-For", "CF-Connecting-IP", "Cookie", "X-Webhook-ID", "x-api-key"),
  anyText,
  wrongType,
);
const headerValue = fc.oneof(
  fc.stringMatching(/^[\t\x20-\x7e]{0,40}$/),
  fc.string({ unit: "binary-ascii", maxLength: 40 }),
  anyText,
  fc.constantFrom("••••", "••••abcd", "••••1234", "Bearer token123", " padded ", "\tx", "a\r\nX-Injected: 1"),
  fc.integer({ min: 4090, max: 4100 }).map((n) => "v".repeat(n)),
  wrongType,
);
const header = fc.oneof(
  fc.record({ name: headerName, value: headerValue, enabled: fc.oneof(fc.boolean(), wrongType) }, { requiredKeys: ["name", "value"] }),
  wrongType,
);

/** Names on either side of a rule's edge: the Proxy-* names and the 256-character limit. */
const edgeName = fc.oneof(
  fc.constantFrom("Proxy-Authorization", "proxy-connection", "PROXY-X", "X-Proxy-Id", "Proxyish"),
  fc.integer({ min: 250, max: 262 }).map((n) => `X-${"n".repeat(n - 2)}`),
);
const edgeHeader = fc.record({ name: fc.oneof(fc.stringMatching(/^X-[A-Za-z]{1,8}$/), edgeName), value: fc.constant("v"), enabled: fc.boolean() });

/** Header lists: mostly plausible, with duplicates, reserved names, bad bytes and too many. */
export const headerList = fc.oneof(
  { weight: 4, arbitrary: fc.array(header, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.array(edgeHeader, { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.record({ name: fc.stringMatching(/^X-[A-Za-z]{1,2}$/), value: fc.constant("v") }), { minLength: 15, maxLength: 25 }) },
  { weight: 1, arbitrary: wrongType },
);

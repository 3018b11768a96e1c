/**
 * Bad input, table-driven: each case is one request that must get its 4xx, name the field in
 * `error.details[].path`, and leave every table of D1 exactly as it was.
 * The test environment is not production, so http://localhost:* and 127.0.0.1 stay allowed
 * (API.md's dev allowance); test/url-policy.test.ts covers the production rules.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { call, createOrganisation, createWebhook, expectStatus, type CallOptions } from "./helpers/api";
import { dbSnapshot } from "./helpers/db-snapshot";

let apiKey = "";
let eventId = "";
let checkId = "";

beforeAll(async () => {
  const org = await createOrganisation();
  apiKey = org.api_key;
  eventId = (await createWebhook(apiKey, { headers: [{ name: "Authorization", value: "Bearer token123" }] })).id;
  checkId = (await createWebhook(apiKey, { type: "verification_check", events: undefined })).id;
  await expectStatus(200, "POST", `/v1/webhooks/${checkId}/activate`, { token: apiKey });
  await expectStatus(200, "POST", `/v1/webhooks/${checkId}/pause`, { token: apiKey });
});

const base = { type: "event_notification", name: "Hook", url: "https://api.myapp.com/hook", events: ["verification.completed"] };
const baseCheck = { type: "verification_check", name: "Check", url: "https://check.myapp.com/run" };
const withUrl = (url: unknown) => ({ ...base, url });
const withHeaders = (headers: unknown) => ({ ...base, headers });
const header = (name: string, value = "v") => withHeaders([{ name, value }]);
const criteria = (c: Record<string, unknown>) => ({ ...baseCheck, criteria: c });
const json = { "Content-Type": "application/json" };

interface Case {
  /** Target: create (POST /v1/webhooks), or an action on the event or check webhook. */
  to?: "create" | "patch-event" | "patch-check" | "resume-check" | "activate-event" | "list";
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  query?: string;
  status?: number;
  path: string;
  /** The rule the detail at `path` must state, where a case checks it. */
  rule?: RegExp;
}

const URLS: [string, Case][] = [
  ["http, not https", { body: withUrl("http://api.myapp.com/hook"), path: "url" }],
  ["private 10/8", { body: withUrl("https://10.0.0.1/"), path: "url" }],
  ["private 192.168 in hex", { body: withUrl("https://0xc0.0xa8.0x01.0x01/"), path: "url" }],
  ["loopback 127.0.0.2 in decimal", { body: withUrl("https://2130706434/"), path: "url" }],
  ["loopback in octal, not the dev 127.0.0.1", { body: withUrl("https://0177.0.0.2/"), path: "url" }],
  ["IPv6 loopback", { body: withUrl("https://[::1]/"), path: "url" }],
  ["IPv4-mapped metadata", { body: withUrl("https://[::ffff:169.254.169.254]/"), path: "url" }],
  ["cloud metadata", { body: withUrl("https://169.254.169.254/latest/meta-data/"), path: "url" }],
  ["metadata in decimal", { body: withUrl("https://2852039166/"), path: "url" }],
  ["AWS IPv6 metadata", { body: withUrl("https://[fd00:ec2::254]/"), path: "url" }],
  ["carrier-grade NAT", { body: withUrl("https://100.64.0.1/"), path: "url" }],
  ["multicast", { body: withUrl("https://224.0.0.1/"), path: "url" }],
  ["reserved 240/4", { body: withUrl("https://240.0.0.1/"), path: "url" }],
  ["IPv6 link-local", { body: withUrl("https://[fe80::1]/"), path: "url" }],
  ["*.localhost", { body: withUrl("https://app.localhost/"), path: "url" }],
  ["*.local", { body: withUrl("https://printer.local/"), path: "url" }],
  ["*.internal with a trailing dot", { body: withUrl("https://metadata.google.internal./"), path: "url" }],
  ["user info", { body: withUrl("https://user:pw@api.myapp.com/"), path: "url" }],
  ["user info hiding the host", { body: withUrl("https://api.myapp.com@10.0.0.1/"), path: "url" }],
  ["longer than 2048", { body: withUrl(`https://api.myapp.com/${"a".repeat(2040)}`), path: "url" }],
  ["not a URL", { body: withUrl("api.myapp.com/hook"), path: "url" }],
  ["a newline inside", { body: withUrl("https://api.my\napp.com/"), path: "url" }],
  ["not a string", { body: withUrl(42), path: "url" }],
  ["missing", { body: { ...base, url: undefined }, path: "url" }],
  ["IPv6 loopback over http in dev", { body: withUrl("http://[::1]:8080/"), path: "url" }],
  ["edit to a private address", { to: "patch-event", body: { url: "https://192.168.1.1/" }, path: "url" }],
  // RFC 6762 Appendix G private-use top-level names, on create and on edit, in any case, with a trailing dot.
  ...[".intranet", ".internal", ".private", ".corp", ".home", ".lan"].flatMap((tld): [string, Case][] => [
    [`*${tld}`, { body: withUrl(`https://wiki${tld}/hook`), path: "url", rule: /local or internal host/ }],
    [`*${tld.toUpperCase()} with a trailing dot`, { body: withUrl(`https://wiki${tld.toUpperCase()}./hook`), path: "url", rule: /local or internal host/ }],
    [`edit to *${tld}`, { to: "patch-event", body: { url: `https://nas.Office${tld}./` }, path: "url", rule: /local or internal host/ }],
  ]),
];

const HEADERS: [string, Case][] = [
  ...["Host", "content-length", "Transfer-Encoding", "CONNECTION", "Content-Type", "user-agent", "X-Nafsi-Signature", "Webhook-Id", "cf-connecting-ip", "X-Forwarded-For", "x-webhook-id"].map(
    (name): [string, Case] => [`reserved name ${name}`, { body: header(name), path: "headers.0.name" }],
  ),
  ...["Proxy-Authorization", "proxy-connection", "PROXY-AUTHORIZATION", "Proxy-Anything"].flatMap((name): [string, Case][] => [
    [`proxy name ${name}`, { body: header(name, "Basic dXNlcjpwdw=="), path: "headers.0.name", rule: /meant for proxies/ }],
    [`edit to proxy name ${name}`, { to: "patch-event", body: { headers: [{ name: "X-Ok", value: "v" }, { name, value: "v" }] }, path: "headers.1.name", rule: /meant for proxies/ }],
  ]),
  ["a name of 257 characters", { body: header("X".repeat(257)), path: "headers.0.name", rule: /at most 256 characters/ }],
  ["a 10 KB name", { body: header("X-" + "a".repeat(10 * 1024)), path: "headers.0.name", rule: /at most 256 characters/ }],
  ["edit to a 10 KB name", { to: "patch-event", body: { headers: [{ name: "X-" + "a".repeat(10 * 1024), value: "v" }] }, path: "headers.0.name", rule: /at most 256 characters/ }],
  ["a space in the name", { body: header("X Custom"), path: "headers.0.name" }],
  ["an empty name", { body: header(""), path: "headers.0.name" }],
  ["a colon in the name", { body: header("X-Custom:"), path: "headers.0.name" }],
  ["CR LF in the value", { body: header("X-Custom", "a\r\nX-Injected: 1"), path: "headers.0.value" }],
  ["LF in the value", { body: header("X-Custom", "a\nb"), path: "headers.0.value" }],
  ["NUL in the value", { body: header("X-Custom", "a\u0000b"), path: "headers.0.value" }],
  ["a value over 4 KB", { body: header("X-Custom", "x".repeat(4097)), path: "headers.0.value" }],
  ["a non-ASCII value", { body: header("X-Custom", "café"), path: "headers.0.value" }],
  ["a masked value on create", { body: header("Authorization", "••••"), path: "headers.0.value" }],
  ["21 headers", { body: withHeaders(Array.from({ length: 21 }, (_, i) => ({ name: `X-H${i}`, value: "v" }))), path: "headers" }],
  ["names differing only in case", { body: withHeaders([{ name: "X-Custom", value: "a" }, { name: "x-custom", value: "b" }]), path: "headers.1.name" }],
  ["an unknown header field", { body: withHeaders([{ name: "X-Custom", value: "a", secret: true }]), path: "headers.0.secret" }],
  ["enabled not a boolean", { body: withHeaders([{ name: "X-Custom", value: "a", enabled: "yes" }]), path: "headers.0.enabled" }],
  ["a value that is not a string", { body: withHeaders([{ name: "X-Custom", value: 5 }]), path: "headers.0.value" }],
  ["headers not an array", { body: withHeaders({ "X-Custom": "a" }), path: "headers" }],
  ["edit to a reserved name", { to: "patch-event", body: { headers: [{ name: "X-Forwarded-Host", value: "evil" }] }, path: "headers.0.name" }],
  ["edit with a mask of nothing stored", { to: "patch-event", body: { headers: [{ name: "Authorization", value: "••••9999" }] }, path: "headers.0.value" }],
];

const BODIES: [string, Case][] = [
  ["events missing on an event notification", { body: { ...base, events: undefined }, path: "events" }],
  ["no events", { body: { ...base, events: [] }, path: "events" }],
  ["an event not in the catalogue", { body: { ...base, events: ["verification.done"] }, path: "events.0" }],
  ["an event listed twice", { body: { ...base, events: ["units.depleted", "units.depleted"] }, path: "events.1" }],
  ["events on a verification check", { body: { ...baseCheck, events: ["verification.completed"] }, path: "events" }],
  ["criteria on an event notification", { body: { ...base, criteria: { min_score: 0.5 } }, path: "criteria" }],
  ["min_score above 1", { body: criteria({ min_score: 1.5 }), path: "criteria.min_score" }],
  ["min_score below 0", { body: criteria({ min_score: -0.1 }), path: "criteria.min_score" }],
  ["min_score as a string", { body: criteria({ min_score: "0.9" }), path: "criteria.min_score" }],
  ["an unknown criterion", { body: criteria({ threshold: 0.9 }), path: "criteria.threshold" }],
  ["a request schema with an unknown type", { body: criteria({ request_schema: { type: "banana" } }), path: "criteria.request_schema.type" }],
  ["a nested response schema type that is not a string", { body: criteria({ response_schema: { properties: { a: { type: 5 } } } }), path: "criteria.response_schema.properties.a.type" }],
  ["a request schema that is a string", { body: criteria({ request_schema: "object" }), path: "criteria.request_schema" }],
  ["a schema with a bad regex", { body: criteria({ request_schema: { type: "string", pattern: "(" } }), path: "criteria.request_schema.pattern" }],
  ["an empty anyOf", { body: criteria({ response_schema: { anyOf: [] } }), path: "criteria.response_schema.anyOf" }],
  ["an unresolved $ref", { body: criteria({ request_schema: { properties: { a: { $ref: "#/$defs/missing" } } } }), path: "criteria.request_schema.properties.a.$ref" }],
  ["edit: a $ref to another document", { to: "patch-check", body: { criteria: { response_schema: { $ref: "https://example.com/s.json" } } }, path: "criteria.response_schema.$ref" }],
  ["method GET", { body: { ...base, method: "GET" }, path: "method" }],
  ["method DELETE", { body: { ...base, method: "DELETE" }, path: "method" }],
  ["method in lower case", { body: { ...base, method: "post" }, path: "method" }],
  ["an unknown type", { body: { ...base, type: "email" }, path: "type" }],
  ["no type", { body: { ...base, type: undefined }, path: "type" }],
  ["no name", { body: { ...base, name: undefined }, path: "name" }],
  ["a blank name", { body: { ...base, name: "   " }, path: "name" }],
  ["a name over 200 characters", { body: { ...base, name: "n".repeat(201) }, path: "name" }],
  ["a description over 2000 characters", { body: { ...base, description: "d".repeat(2001) }, path: "description" }],
  ["a short secret", { body: { ...base, secret: "short" }, path: "secret" }],
  ["a secret with a newline", { body: { ...base, secret: "0123456789abcdef\n" }, path: "secret" }],
  ["a whsec_ secret that is not base64", { body: { ...base, secret: "whsec_not-base64-at-all!!" }, path: "secret" }],
  ["status on create", { body: { ...base, status: "active" }, path: "status" }],
  ["secret_hint on create", { body: { ...base, secret_hint: "abcd" }, path: "secret_hint" }],
  ["an array body", { body: [base], path: "(body)" }],
  ["a null body", { raw: "null", headers: json, path: "(body)" }],
  ["a text body", { raw: "name=Hook", headers: { "Content-Type": "text/plain" }, status: 415, path: "(body)" }],
  ["a form body", { raw: "name=Hook", headers: { "Content-Type": "application/x-www-form-urlencoded" }, status: 415, path: "(body)" }],
  ["JSON without a content type", { raw: JSON.stringify(base), headers: { "Content-Type": "" }, status: 415, path: "(body)" }],
  ["malformed JSON", { raw: '{"type": "event_notification",', headers: json, path: "(body)" }],
  ["JSON with trailing garbage", { raw: `${JSON.stringify(base)} x`, headers: json, path: "(body)" }],
  ["a body over 256 KiB", { body: { ...base, description: "d".repeat(300_000) }, status: 413, path: "(body)" }],
  // JSON.stringify overflowed its stack on these when the webhook was answered, after it was stored.
  ["a request schema nested 10,000 deep", { raw: JSON.stringify(criteria({})).replace('"criteria":{}', `"criteria":{"request_schema":${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}}`), headers: json, path: "(body)" }],
  ["a body nested 101 deep", { raw: `${"[".repeat(101)}${"]".repeat(101)}`, headers: json, path: "(body)" }],
  ["edit: change the type", { to: "patch-event", body: { type: "verification_check" }, path: "type" }],
  ["edit: events on a verification check", { to: "patch-check", body: { events: ["verification.completed"] }, path: "events" }],
  ["edit: criteria on an event notification", { to: "patch-event", body: { criteria: { min_score: 0.1 } }, path: "criteria" }],
  ["edit: min_score above 1", { to: "patch-check", body: { criteria: { min_score: 2 } }, path: "criteria.min_score" }],
  ["edit: an id", { to: "patch-event", body: { id: "wh_other" }, path: "id" }],
  ["edit: no events", { to: "patch-event", body: { events: [] }, path: "events" }],
  ["edit: a null name", { to: "patch-event", body: { name: null }, path: "name" }],
  ["edit: method GET", { to: "patch-event", body: { method: "GET" }, path: "method" }],
  ["edit: a text body", { to: "patch-event", raw: "name=x", headers: { "Content-Type": "text/plain" }, status: 415, path: "(body)" }],
  ["edit: a body over 256 KiB", { to: "patch-event", body: { description: "d".repeat(300_000) }, status: 413, path: "(body)" }],
  ["resume: replay_skipped not a boolean", { to: "resume-check", body: { replay_skipped: "yes" }, path: "replay_skipped" }],
  ["activate: an unknown field", { to: "activate-event", body: { force: true }, path: "force" }],
  ["list: an unknown status", { to: "list", query: "status=archived", path: "status" }],
  ["list: limit over 100", { to: "list", query: "limit=1000", path: "limit" }],
  ["list: a forged cursor", { to: "list", query: "cursor=' OR 1=1 --", path: "cursor" }],
];

function request(c: Case): [string, string, CallOptions] {
  const opts: CallOptions = { token: apiKey, body: c.body, raw: c.raw, headers: c.headers };
  switch (c.to ?? "create") {
    case "create": return ["POST", "/v1/webhooks", opts];
    case "patch-event": return ["PATCH", `/v1/webhooks/${eventId}`, opts];
    case "patch-check": return ["PATCH", `/v1/webhooks/${checkId}`, opts];
    case "resume-check": return ["POST", `/v1/webhooks/${checkId}/resume`, opts];
    case "activate-event": return ["POST", `/v1/webhooks/${eventId}/activate`, opts];
    case "list": return ["GET", `/v1/webhooks?${encodeURI(c.query ?? "")}`, { token: apiKey }];
  }
}

describe.each([
  ["URLs", URLS],
  ["headers", HEADERS],
  ["bodies", BODIES],
])("bad %s", (_group, cases) => {
  it.each(cases)("%s", async (_label, c) => {
    const before = await dbSnapshot();
    const [method, path, opts] = request(c);
    const res = await call(method, path, opts);
    const status = c.status ?? 400;
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error.code).toMatch(/^[A-Z_]+$/);
    expect(res.body.error.details.map((d: { path: string }) => d.path), JSON.stringify(res.body)).toContain(c.path);
    for (const d of res.body.error.details) expect(d.message.length).toBeGreaterThan(0);
    if (c.rule) expect(res.body.error.details.find((d: { path: string }) => d.path === c.path).message).toMatch(c.rule);
    expect(await dbSnapshot()).toEqual(before);
  });
});

it("has at least 60 cases", () => {
  expect(URLS.length + HEADERS.length + BODIES.length).toBeGreaterThanOrEqual(60);
});

it("still accepts a header name of exactly 256 characters, and names that only look like proxy ones, on create and on edit", async () => {
  const headers = [{ name: "X".repeat(256), value: "v" }, { name: "X-Proxy-Id", value: "v" }, { name: "Proxyish", value: "v" }];
  const created = await call("POST", "/v1/webhooks", { token: apiKey, body: withHeaders(headers) });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const edited = await call("PATCH", `/v1/webhooks/${created.body.id}`, { token: apiKey, body: { headers: headers.slice().reverse(), url: "https://corp.example.com/hook" } });
  expect(edited.status, JSON.stringify(edited.body)).toBe(200);
  expect(edited.body.headers.map((h: { name: string }) => h.name)).toEqual(headers.map((h) => h.name).reverse());
});

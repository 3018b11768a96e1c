/**
 * Property-based tests (fast-check) over what callers send: ingest bodies, webhook URLs and
 * custom header lists, from plausible to hostile (test/helpers/arbitraries.ts). Whatever comes
 * in: never a 5xx; a refusal is our error body (its code matching its status, a 400 naming each
 * field in `details`) and writes nothing, to D1 or to the storage objects; and what is accepted
 * obeys the rules, checked here by an oracle written apart from src/security. The seed is fixed,
 * so a run is repeatable; on failure fast-check prints the seed, the path and the shrunk
 * counterexample to replay it.
 */
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { EVENT_NAMES } from "../src/catalogue";
import { ERROR_STATUS } from "../src/errors";
import { createOrganisation, createWebhook, INGEST_TOKEN } from "./helpers/api";
import { anyUrl, headerList, ingestBody, privateHostUrl, privateV6Url, rawBody } from "./helpers/arbitraries";
import { dbSnapshot } from "./helpers/db-snapshot";

const SEED = 20260128;
const run = (numRuns: number) => ({ seed: SEED, numRuns });
/** Each run compares snapshots of D1 and of every storage object (two per run): about 25 ms each. */
const SLOW = { timeout: 90_000 };

interface Answer {
  status: number;
  body: any;
  text: string;
}

async function send(method: string, path: string, token: string, body: unknown, raw?: string): Promise<Answer> {
  const init: RequestInit = { method, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: raw ?? JSON.stringify(body) };
  const res = await exports.default.fetch(new Request(`http://nafsi.test${path}`, init));
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* checked below: an error must be JSON */
  }
  return { status: res.status, body: parsed, text };
}

/**
 * The house rules for any answer: no 5xx, and a refusal is our error shape with nothing written.
 * `fieldOk` says whether a detail's path may be named for this input. Answers whether it was accepted.
 */
async function expectWellBehaved(res: Answer, before: Record<string, string>, fieldOk: (path: string) => boolean): Promise<boolean> {
  expect(res.status, res.text).toBeLessThan(500);
  if (res.status < 400) return true;
  const error = res.body?.error;
  expect(typeof error?.code, res.text).toBe("string");
  expect(ERROR_STATUS[error.code as keyof typeof ERROR_STATUS], res.text).toBe(res.status);
  expect(typeof error.message === "string" && error.message.length > 0, res.text).toBe(true);
  if ([400, 413, 415].includes(res.status)) {
    expect(Array.isArray(error.details) && error.details.length > 0, res.text).toBe(true);
    for (const d of error.details) {
      expect(typeof d.path === "string" && typeof d.message === "string" && d.message.length > 0, res.text).toBe(true);
      expect(d.path === "(body)" || fieldOk(d.path), `${d.path} in ${res.text}`).toBe(true);
    }
  }
  expect(await dbSnapshot(), `refused with ${res.status} but storage changed`).toEqual(before);
  return false;
}

/** Why the URL should have been refused (local development rules), or null: written apart from url-policy.ts. */
function urlOracle(raw: unknown): string | null {
  if (typeof raw !== "string") return "not a string";
  if (raw.length > 2048) return "longer than 2048";
  if (/[\u0000-\u0020\u007f]/.test(raw)) return "spaces or control characters";
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return "not an absolute URL";
  }
  if (u.username || u.password) return "user information";
  const host = u.hostname.toLowerCase().replace(/\.+$/, "");
  if ((host === "localhost" || host === "127.0.0.1") && (u.protocol === "http:" || u.protocol === "https:")) return null;
  if (u.protocol !== "https:") return "not https";
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) {
    const [a, b] = host.split(".").map(Number) as [number, number];
    if ([0, 10, 127].includes(a) || a >= 224 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return "private IPv4";
    return null;
  }
  if (host.startsWith("[")) {
    const first = host.slice(1).split(":")[0]!;
    const word = first === "" ? 0 : parseInt(first, 16);
    return word >= 0x2000 && word <= 0x3fff ? null : "IPv6 outside global unicast";
  }
  // RFC 6762 Appendix G names the private-use top-level names (.intranet ... .lan).
  if (host === "localhost" || /\.(localhost|local|localdomain|home\.arpa|intranet|internal|private|corp|home|lan)$/.test(host) || !host.includes(".")) return "internal host name";
  return null;
}

const RESERVED = /^(host|content-length|transfer-encoding|connection|content-type|user-agent|keep-alive|upgrade|te|trailer|expect|x-webhook-id|x-delivery-id|x-real-ip|forwarded)$|^(x-nafsi-|webhook-|cf-|x-forwarded-|proxy-)/i;

/** Why an accepted header list should have been refused, or null: written apart from header-policy.ts. */
function headersOracle(sent: unknown): string | null {
  if (!Array.isArray(sent) || sent.length > 20) return "not a list of at most 20";
  const names = new Set<string>();
  for (const h of sent as { name: unknown; value: unknown }[]) {
    if (typeof h.name !== "string" || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/.test(h.name)) return `name ${JSON.stringify(h.name)} is not a token of at most 256 characters`;
    if (RESERVED.test(h.name)) return `name ${h.name} is ours`;
    if (names.has(h.name.toLowerCase())) return `name ${h.name} twice`;
    names.add(h.name.toLowerCase());
    if (typeof h.value !== "string" || !/^[\t\x20-\x7e]*$/.test(h.value) || h.value.length > 4096) return `value of ${h.name} is not printable ASCII within 4096 bytes`;
    try {
      new Headers([[h.name, h.value]]);
    } catch (err) {
      return `the runtime cannot send it: ${String(err)}`;
    }
  }
  return null;
}

/** The top-level object a request text parses to, if it is one. */
function parsesTo(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** How many generated inputs were accepted: a property whose inputs are all refused checks little. */
const accepted = { ingest: 0, urlCreate: 0, urlEdit: 0, headersCreate: 0, headersEdit: 0 };
const MIN_ACCEPTED = 20;

let org: { id: number; api_key: string };
let target: { id: string };

beforeAll(async () => {
  org = await createOrganisation();
  target = await createWebhook(org.api_key, { url: "https://api.myapp.com/hook", headers: [{ name: "Authorization", value: "Bearer abcdefgh1234" }] });
});

const WEBHOOK = { type: "event_notification", name: "Property", events: ["units.depleted"] };
const INGEST_FIELDS = ["event", "organisation_id", "data", "event_id", "timestamp"];

describe("ingest (POST /v1/events)", () => {
  it("answers any body with a 202 for a valid event or a 4xx that names the field and writes nothing", SLOW, async () => {
    await fc.assert(
      fc.asyncProperty(ingestBody(1), async (body) => {
        const sent: Record<string, unknown> = { ...body, ...("organisation_id" in body && body.organisation_id === 1 ? { organisation_id: org.id } : {}) };
        const before = await dbSnapshot();
        const res = await send("POST", "/v1/events", INGEST_TOKEN, sent);
        const fieldOk = (p: string) => INGEST_FIELDS.includes(p.split(".")[0]!) || p === "extra_field";
        if (await expectWellBehaved(res, before, fieldOk)) {
          accepted.ingest++;
          expect(res.status).toBe(202);
          expect(sent.organisation_id).toBe(org.id);
          expect(EVENT_NAMES).toContain(sent.event);
        }
      }),
      run(200),
    );
    expect(accepted.ingest).toBeGreaterThanOrEqual(MIN_ACCEPTED);
  });

  it("answers any request text, however broken or deep, without a 5xx", SLOW, async () => {
    await fc.assert(
      fc.asyncProperty(rawBody(1), async (text) => {
        const before = await dbSnapshot();
        const res = await send("POST", "/v1/events", INGEST_TOKEN, undefined, text.replaceAll('"organisation_id":1,', `"organisation_id":${org.id},`));
        // An unknown field is named by its key (an empty one quoted).
        const keys = Object.keys(parsesTo(text) ?? {}).map((k) => (k === "" ? '""' : k));
        await expectWellBehaved(res, before, (p) => INGEST_FIELDS.includes(p.split(".")[0]!) || keys.includes(p));
      }),
      run(200),
    );
  });
});

describe("webhook URLs", () => {
  it("creates a webhook only for a URL the rules allow, and otherwise names url and writes nothing", SLOW, async () => {
    await fc.assert(
      fc.asyncProperty(anyUrl, async (url) => {
        const before = await dbSnapshot();
        const res = await send("POST", "/v1/webhooks", org.api_key, { ...WEBHOOK, url });
        if (await expectWellBehaved(res, before, (p) => p === "url")) {
          accepted.urlCreate++;
          expect(urlOracle(url), `accepted ${JSON.stringify(url)}`).toBeNull();
          expect(res.body.url).toBe(url);
        }
      }),
      run(200),
    );
    expect(accepted.urlCreate).toBeGreaterThanOrEqual(MIN_ACCEPTED);
  });

  it("refuses a private, loopback, link-local or metadata address in any spelling, on create and on edit", SLOW, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(privateHostUrl, privateV6Url), async (url) => {
        const before = await dbSnapshot();
        for (const [method, path, body] of [["POST", "/v1/webhooks", { ...WEBHOOK, url }], ["PATCH", `/v1/webhooks/${target.id}`, { url }]] as const) {
          const res = await send(method, path, org.api_key, body);
          expect(res.status, `${method} ${url} → ${res.text}`).toBe(400);
          expect(res.body.error.details).toEqual([{ path: "url", message: expect.any(String) }]);
        }
        expect(await dbSnapshot()).toEqual(before);
      }),
      run(200),
    );
  });

  it("edits a URL only to one the rules allow", SLOW, async () => {
    await fc.assert(
      fc.asyncProperty(anyUrl, async (url) => {
        const before = await dbSnapshot();
        const res = await send("PATCH", `/v1/webhooks/${target.id}`, org.api_key, { url });
        if (await expectWellBehaved(res, before, (p) => p === "url")) {
          accepted.urlEdit++;
          expect(urlOracle(url), `accepted ${JSON.stringify(url)}`).toBeNull();
        }
      }),
      run(200),
    );
    expect(accepted.urlEdit).toBeGreaterThanOrEqual(MIN_ACCEPTED);
  });
});

describe("custom headers", () => {
  const check = (res: Answer, sent: unknown) => {
    // The masked value of the stored credential stands for it (see beforeAll).
    const restored = (sent as { name: string; value: string }[]).map((h) =>
      h.value === "••••1234" && /^authorization$/i.test(h.name) ? { ...h, value: "Bearer abcdefgh1234" } : h,
    );
    expect(headersOracle(restored), `accepted ${JSON.stringify(sent)}`).toBeNull();
    const shown = res.body.headers as { name: string; value: string; masked: boolean }[];
    expect(shown.map((h) => h.name)).toEqual((sent as { name: string }[]).map((h) => h.name));
    for (const [i, h] of shown.entries()) if (!h.masked) expect(h.value).toBe((sent as { value: string }[])[i]!.value);
  };

  it("creates a webhook only with headers the rules allow, and otherwise names the header and writes nothing", SLOW, async () => {
    await fc.assert(
      fc.asyncProperty(headerList, async (headers) => {
        const before = await dbSnapshot();
        const res = await send("POST", "/v1/webhooks", org.api_key, { ...WEBHOOK, url: "https://api.myapp.com/hook", headers });
        if (await expectWellBehaved(res, before, (p) => p.startsWith("headers"))) {
          accepted.headersCreate++;
          check(res, headers);
        }
      }),
      run(200),
    );
    expect(accepted.headersCreate).toBeGreaterThanOrEqual(MIN_ACCEPTED);
  });

  it("edits the headers only to ones the rules allow (masked values included)", SLOW, async () => {
    await fc.assert(
      fc.asyncProperty(headerList, async (headers) => {
        const before = await dbSnapshot();
        const res = await send("PATCH", `/v1/webhooks/${target.id}`, org.api_key, { headers });
        if (await expectWellBehaved(res, before, (p) => p.startsWith("headers"))) {
          accepted.headersEdit++;
          check(res, headers);
          // Put the credential back, so that masked values have something to stand for.
          await send("PATCH", `/v1/webhooks/${target.id}`, org.api_key, { headers: [{ name: "Authorization", value: "Bearer abcdefgh1234" }] });
        }
      }),
      run(200),
    );
    expect(accepted.headersEdit).toBeGreaterThanOrEqual(MIN_ACCEPTED);
  });
});

/**
 * Secrets stay secret. Webhooks are made with signing secrets (whsec_, plain and generated) and
 * credential headers (Authorization, X-Api-Key, *-Token), used for real deliveries, test events,
 * checks, edits, failed attempts, refused inputs and an export; then each secret is looked for,
 * raw, percent-encoded, in hex and in base64/base64url at every alignment, in:
 *   - every response of the API during the test, body and headers;
 *   - everything the worker wrote to the console (it runs in this isolate in the test pool);
 *   - every column of every row of every table of D1, read through the binding: this stands in
 *     for the database file here (test/system/secrets-at-rest.test.ts searches the file itself);
 *   - every object in R2.
 * And a wrong encryption key fails closed: nothing is sent, unsigned or otherwise.
 */
import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { app } from "../src/app";
import { acceptEvent } from "../src/delivery/accept-event";
import { consumeDeliveries } from "../src/delivery/consume";
import type { DeliveryMessage } from "../src/delivery/messages";
import { ADMIN_TOKEN, INGEST_TOKEN, sampleCompleted, waitFor } from "./helpers/api";
import { attemptsOf, deliveriesOf } from "./helpers/db";
import { objectTables } from "./helpers/object-storage";
import { bucket, received, receiverUrl, verifyAtReceiver } from "./helpers/receivers";
import { findSecrets } from "./helpers/secret-forms";

const rand = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"[b % 56]).join("");
const whsec = () => `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;

const SECRETS = {
  whsecSecret: whsec(),
  plainSecret: `sk_webhook_${rand(24)}`,
  rotatedSecret: `rotated_${rand(24)}`,
  checkSecret: whsec(),
  bearer: rand(32),
  apiKeyHeader: rand(28),
  authToken: rand(30),
  sessionToken: rand(26),
  xAuthorization: rand(30),
  authentication: rand(30),
  xAuth: rand(30),
  rotatedToken: rand(30),
  refusedSecret: `refused_${rand(24)}`,
  /** Given to POST .../secret/rotate: its answer is the one place it may show. */
  rotateGiven: whsec(),
};
/** Filled in as they are made: the generated signing secrets (create, rotate) and the organisation's API key. */
const shownOnce: Record<string, string> = {};

interface Recorded {
  what: string;
  status: number;
  text: string;
}
const responses: Recorded[] = [];
const consoleLines: string[] = [];

/** The test's client: every answer is kept, headers and body, to be searched at the end. */
async function api(method: string, path: string, token: string | null, body?: unknown, raw?: string) {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  if (body !== undefined || raw !== undefined) headers["Content-Type"] = "application/json";
  const res = await exports.default.fetch(new Request(`http://nafsi.test${path}`, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) }));
  const text = await res.text();
  responses.push({ what: `${method} ${path} → ${res.status}`, status: res.status, text: `${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n${text}` });
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* CSV or HTML */
  }
  return { status: res.status, body: parsed };
}

async function ok(method: string, path: string, token: string | null, body?: unknown) {
  const res = await api(method, path, token, body);
  expect(res.status, `${method} ${path} → ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

beforeAll(() => {
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      consoleLines.push(`${level}: ${args.map((a) => (typeof a === "string" ? a : (() => { try { return JSON.stringify(a); } catch { return String(a); } })())).join(" ")}`);
    });
  }
});
afterAll(() => vi.restoreAllMocks());

describe("secrets in responses, logs, D1 and R2", () => {
  it("appear nowhere but in the requests that set them", async () => {
    const org = await ok("POST", "/v1/organisations", ADMIN_TOKEN, { name: "Secretive", notification_email: "ops@example.com" });
    shownOnce.apiKey = org.api_key;
    const key = org.api_key as string;
    const b = { whsec: bucket("sec-whsec"), plain: bucket("sec-plain"), failing: bucket("sec-fail") };
    const credentialHeaders = [
      { name: "Authorization", value: `Bearer ${SECRETS.bearer}` },
      { name: "X-Api-Key", value: SECRETS.apiKeyHeader },
      { name: "X-Auth-Token", value: SECRETS.authToken },
      { name: "X-Session-Token", value: SECRETS.sessionToken },
      // Credentials under other names that APIs use.
      { name: "X-Authorization", value: `Bearer ${SECRETS.xAuthorization}` },
      { name: "Authentication", value: `Basic ${SECRETS.authentication}` },
      { name: "X-Auth", value: SECRETS.xAuth },
      { name: "X-Custom-Header", value: "MyValue" },
    ];
    const event = { type: "event_notification", events: ["verification.completed", "units.depleted"], headers: credentialHeaders };
    const whsecHook = await ok("POST", "/v1/webhooks", key, { ...event, name: "whsec", url: receiverUrl("http", b.whsec), secret: SECRETS.whsecSecret });
    const plainHook = await ok("POST", "/v1/webhooks", key, { ...event, name: "plain", url: receiverUrl("mtls", b.plain), secret: SECRETS.plainSecret });
    const failing = await ok("POST", "/v1/webhooks", key, { ...event, name: "failing", url: receiverUrl("http", b.failing, "status/500") });
    // Shown once, in the answer to the create call: the only place it may appear.
    shownOnce.generated = failing.secret;
    expect(failing.secret).toMatch(/^whsec_/);
    const answer = btoa(JSON.stringify({ success: true, score: 0.9 })).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const checkHook = await ok("POST", "/v1/webhooks", key, {
      type: "verification_check", name: "check", url: receiverUrl("mtls", bucket("sec-chk"), `json/${answer}`), secret: SECRETS.checkSecret, headers: credentialHeaders,
    });
    for (const w of [whsecHook, plainHook, failing, checkHook]) await ok("POST", `/v1/webhooks/${w.id}/activate`, key);

    // Deliveries, a failing one with its retries, a test event, a check.
    for (const name of ["verification.completed", "units.depleted"]) {
      await ok("POST", "/v1/events", INGEST_TOKEN, { event: name, organisation_id: org.id, data: name === "units.depleted" ? { n: 1 } : sampleCompleted });
    }
    await waitFor(async () => (await received(b.whsec)).length >= 2 && (await received(b.plain)).length >= 2);
    const [got] = await received(b.whsec);
    // The receiver did get the credentials and a signature made with the secret: they were in play.
    expect(got!.headers).toMatchObject({ authorization: `Bearer ${SECRETS.bearer}`, "x-api-key": SECRETS.apiKeyHeader, "x-auth-token": SECRETS.authToken });
    expect((await verifyAtReceiver(b.whsec, 0, SECRETS.whsecSecret)).standard).toBe(true);
    await ok("POST", `/v1/webhooks/${whsecHook.id}/test`, key, { event: "verification.completed" });
    expect((await ok("POST", "/v1/checks", INGEST_TOKEN, { organisation_id: org.id, webhook_id: checkHook.id, input: {} })).passed).toBe(true);

    // Edits: a new secret and a new token; the other credentials sent back masked, as shown.
    const shown = await ok("GET", `/v1/webhooks/${plainHook.id}`, key);
    const headers = shown.headers.map((h: { name: string; value: string; enabled: boolean }) => ({ name: h.name, value: h.value, enabled: h.enabled }));
    headers[2] = { name: "X-Auth-Token", value: SECRETS.rotatedToken, enabled: true };
    await ok("PATCH", `/v1/webhooks/${plainHook.id}`, key, { secret: SECRETS.rotatedSecret, headers });
    await ok("POST", "/v1/events", INGEST_TOKEN, { event: "units.depleted", organisation_id: org.id, data: { n: 2 } });
    await waitFor(async () => (await received(b.plain)).some((r) => r.headers["x-auth-token"] === SECRETS.rotatedToken));

    // Rotations: a given secret with an overlap (deliveries carry both signatures), a generated one.
    await ok("POST", `/v1/webhooks/${whsecHook.id}/secret/rotate`, key, { secret: SECRETS.rotateGiven, overlap_seconds: 600 });
    shownOnce.rotated = (await ok("POST", `/v1/webhooks/${failing.id}/secret/rotate`, key, { overlap_seconds: 0 })).secret;
    await ok("POST", "/v1/events", INGEST_TOKEN, { event: "units.depleted", organisation_id: org.id, data: { n: 3 } });
    await waitFor(async () => (await received(b.whsec)).some((r) => r.headers["x-nafsi-signature-next"]));
    expect((await api("POST", `/v1/webhooks/${whsecHook.id}/secret/rotate`, key, { secret: `${SECRETS.refusedSecret}\n` })).status).toBe(400);

    // Refused inputs that carry a secret: the error names the field, never the value.
    const refused: [string, unknown][] = [
      ["a secret with a line break", { secret: `${SECRETS.refusedSecret}\n` }],
      ["a whsec_ secret that is not base64", { secret: `whsec_${SECRETS.refusedSecret}!` }],
      ["a credential with a control character", { headers: [{ name: "X-Api-Key", value: `${SECRETS.refusedSecret}\u0001` }] }],
      ["a credential that is not ASCII", { headers: [{ name: "Authorization", value: `Bearer ${SECRETS.refusedSecret}é` }] }],
      ["a duplicated credential header", { headers: [{ name: "X-Api-Key", value: SECRETS.refusedSecret }, { name: "x-api-key", value: SECRETS.refusedSecret }] }],
      ["a secret in the method", { method: SECRETS.refusedSecret }],
      ["a secret where the URL goes", { url: SECRETS.refusedSecret }],
      ["a secret as the name of a reserved header", { headers: [{ name: "X-Nafsi-Signature", value: SECRETS.refusedSecret }] }],
    ];
    for (const [why, patch] of refused) {
      const res = await api("PATCH", `/v1/webhooks/${plainHook.id}`, key, patch);
      expect(res.status, why).toBe(400);
    }
    expect((await api("PATCH", `/v1/webhooks/${plainHook.id}`, key, undefined, `{"secret": "${SECRETS.refusedSecret}", `)).status).toBe(400);

    // Everything there is to read.
    await waitFor(async () => (await deliveriesOf(failing.id)).every((d) => d.status === "failed"), 20_000);
    for (const w of [whsecHook, plainHook, failing, checkHook]) {
      await ok("GET", `/v1/webhooks/${w.id}`, key);
      await ok("GET", `/v1/webhooks/${w.id}/logs`, key);
      await ok("GET", `/v1/webhooks/${w.id}/stats`, key);
    }
    await ok("GET", "/v1/webhooks", key);
    const exp = await ok("POST", `/v1/webhooks/${failing.id}/logs/export`, key, {});
    await waitFor(async () => (await ok("GET", `/v1/exports/${exp.id}`, key)).status === "done", 20_000, 200);
    await ok("GET", `/v1/exports/${exp.id}/download`, key);

    // The captures saw what they should: a failed attempt's log, the worker's own console line.
    expect((await attemptsOf(failing.id)).map((a) => a.error_code)).toContain("http_5xx");
    expect(consoleLines.some((l) => l.includes("export done") && l.includes(exp.id)), "the worker's console is captured").toBe(true);

    const hits = findSecrets({ ...SECRETS, ...shownOnce }, [
      ...responses.map((r): [string, string] => [`response ${r.what}`, exceptShownOnce(r)]),
      ["console", consoleLines.join("\n")],
      ...(await d1Dump()),
      ...(await objectsDump()),
      ...(await r2Dump()),
    ]);
    expect(hits).toEqual([]);
  });
});

/** The two values shown once, removed from the one answer allowed to show each. */
function exceptShownOnce(r: Recorded): string {
  let text = r.text;
  if (r.what.startsWith("POST /v1/organisations →")) text = text.replace(`"api_key":"${shownOnce.apiKey}"`, "");
  if (r.what.startsWith("POST /v1/webhooks →") && text.includes(`"secret":"${shownOnce.generated}"`)) text = text.replace(`"secret":"${shownOnce.generated}"`, "");
  if (/^POST \/v1\/webhooks\/[^/]+\/secret\/rotate → 200/.test(r.what)) {
    for (const s of [SECRETS.rotateGiven, shownOnce.rotated]) text = text.replace(`"secret":"${s}"`, "");
  }
  return text;
}

/** Every value of every column of every row of every table, as the text it is stored as. */
async function d1Dump(): Promise<[string, string][]> {
  // D1's own _cf_ tables refuse to be read; they hold the database's metadata, not our rows.
  const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'").all<{ name: string }>();
  const out: [string, string][] = [];
  for (const { name } of results) {
    const { results: rows } = await env.DB.prepare(`SELECT * FROM "${name}"`).all<Record<string, unknown>>();
    const cells = rows.flatMap((row) => Object.values(row).map((v) => (v instanceof ArrayBuffer ? new TextDecoder().decode(v) : String(v))));
    out.push([`D1 table ${name}`, cells.join("\n")]);
  }
  expect(out.map(([n]) => n)).toEqual(expect.arrayContaining(["D1 table webhooks", "D1 table webhook_revisions"]));
  return out;
}

/** The same of the storage objects: events in their shards, deliveries and attempts (with their signing headers) in their partitions, the heads' kv. */
async function objectsDump(): Promise<[string, string][]> {
  const cell = (v: unknown) => (v instanceof ArrayBuffer ? new TextDecoder().decode(v) : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v));
  const out = (await objectTables()).map(({ label, rows }): [string, string] => [label, rows.flatMap((row) => Object.values(row as object).map(cell)).join("\n")]);
  // The traffic is there to search: the events' bodies and the attempts' stored requests.
  expect(out.filter(([n, text]) => /^EventShard .* events_\d+$/.test(n) && text.length > 0).length).toBeGreaterThan(0);
  expect(out.filter(([n, text]) => /^DeliveryLog .* attempts$/.test(n) && text.length > 0).length).toBeGreaterThan(0);
  return out;
}

async function r2Dump(): Promise<[string, string][]> {
  const out: [string, string][] = [];
  let cursor: string | undefined;
  do {
    const page = await env.EXPORTS.list({ cursor });
    for (const o of page.objects) out.push([`R2 ${o.key}`, (await (await env.EXPORTS.get(o.key))?.text()) ?? ""]);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  expect(out.length).toBeGreaterThan(0);
  return out;
}

describe("a wrong encryption key", () => {
  const OTHER_KEY = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
  const asMessage = (body: DeliveryMessage) =>
    ({ id: crypto.randomUUID(), timestamp: new Date(), body, attempts: 1, ack() {}, retry() {} }) as unknown as Message<DeliveryMessage>;

  async function armedWebhook(label: string) {
    const org = await ok("POST", "/v1/organisations", ADMIN_TOKEN, { name: label, notification_email: "ops@example.com" });
    const b = bucket(label);
    const wh = await ok("POST", "/v1/webhooks", org.api_key, {
      type: "event_notification", name: label, url: receiverUrl("http", b), events: ["units.depleted"], secret: whsec(), headers: [{ name: "Authorization", value: `Bearer ${rand(24)}` }],
    });
    await ok("POST", `/v1/webhooks/${wh.id}/activate`, org.api_key);
    return { org, wh, b };
  }

  for (const [label, key] of [["another valid key", OTHER_KEY], ["no key at all", ""]] as const) {
    it(`fails closed with ${label}: the consumer sends nothing and logs secret_unavailable`, async () => {
      const { org, wh, b } = await armedWebhook(`wrongkey-${label.length}`);
      // Recorded as usual, but the messages are kept here instead of going to the real consumer.
      const queued: DeliveryMessage[] = [];
      const holdingQueue = { ...env, DELIVERY_QUEUE: { sendBatch: async (msgs: { body: DeliveryMessage }[]) => void queued.push(...msgs.map((m) => m.body)) } as never };
      await acceptEvent(holdingQueue, { organisation_id: org.id, event: "units.depleted", data: { n: 1 } });
      expect(queued).toHaveLength(1);

      await consumeDeliveries(queued.map(asMessage), { ...env, SECRET_ENCRYPTION_KEY: key });
      await new Promise((r) => setTimeout(r, 300));
      expect(await received(b)).toEqual([]);
      expect(await attemptsOf(wh.id)).toEqual([expect.objectContaining({ attempt: 1, status: "failed", error_code: "secret_unavailable", response_code: null })]);
      expect((await deliveriesOf(wh.id))[0]!.status).toBe("failed");
      expect(consoleLines.some((l) => l.includes("cannot decrypt webhook revision"))).toBe(true);
    });
  }

  it("sends no test event and runs no check with it", async () => {
    const { org, wh, b } = await armedWebhook("wrongkey-test");
    const wrong = { ...env, SECRET_ENCRYPTION_KEY: OTHER_KEY };
    const res = await app.fetch(
      new Request(`http://x/v1/webhooks/${wh.id}/test`, { method: "POST", headers: { Authorization: `Bearer ${org.api_key}`, "Content-Type": "application/json" }, body: JSON.stringify({ event: "units.depleted" }) }),
      wrong,
      createExecutionContext(),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ result: "failed", status_code: null, error: expect.stringContaining("could not be decrypted") });

    const checkBucket = bucket("wrongkey-check");
    const chk = await ok("POST", "/v1/webhooks", org.api_key, { type: "verification_check", name: "c", url: receiverUrl("http", checkBucket), secret: whsec() });
    await ok("POST", `/v1/webhooks/${chk.id}/activate`, org.api_key);
    const checked = await app.fetch(
      new Request("http://x/v1/checks", { method: "POST", headers: { Authorization: `Bearer ${INGEST_TOKEN}`, "Content-Type": "application/json" }, body: JSON.stringify({ organisation_id: org.id, webhook_id: chk.id, input: {} }) }),
      wrong,
      createExecutionContext(),
    );
    expect(await checked.json()).toMatchObject({ passed: false, error_code: "secret_unavailable", status_code: null });
    await new Promise((r) => setTimeout(r, 300));
    expect(await received(b)).toEqual([]);
    expect(await received(checkBucket)).toEqual([]);
  });
});

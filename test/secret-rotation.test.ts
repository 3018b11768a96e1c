/**
 * Rotating a webhook's secret (POST /v1/webhooks/{id}/secret/rotate), checked at a real
 * receiver: during the overlap a receiver still on the old secret verifies every delivery with
 * the product document's snippet and one already on the new secret verifies it with the
 * standardwebhooks package; after the overlap only the new secret signs, and the old one is gone
 * from D1.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { buildRequest } from "../src/delivery/build-request";
import { Signer } from "../src/delivery/sign";
import { runMaintenance } from "../src/maintenance";
import { open } from "../src/security/secret-box";
import { activate, call, createOrganisation, createWebhook, expectStatus, ingest, waitFor } from "./helpers/api";
import { dbSnapshot } from "./helpers/db-snapshot";
import { bucket, received, receiverUrl, verifyAtReceiver } from "./helpers/receivers";

const whsec = () => `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;

async function hmacHex(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body));
  return `sha256=${[...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Every sealed secret the webhook's rows hold, opened: what D1 would give away with the key. */
async function storedSecrets(webhookId: string) {
  const key = env.SECRET_ENCRYPTION_KEY;
  const rows = [
    ...(await env.DB.prepare("SELECT 'webhook' AS row, secret_enc, previous_secret_enc, previous_secret_expires_at FROM webhooks WHERE id = ?").bind(webhookId).all()).results,
    ...(await env.DB.prepare("SELECT id AS row, secret_enc, previous_secret_enc, previous_secret_expires_at FROM webhook_revisions WHERE webhook_id = ?").bind(webhookId).all()).results,
  ] as { row: string; secret_enc: string; previous_secret_enc: string | null; previous_secret_expires_at: number | null }[];
  return Promise.all(
    rows.map(async (r) => ({
      row: r.row,
      secret: await open(key, r.secret_enc),
      previous: r.previous_secret_enc === null ? null : await open(key, r.previous_secret_enc),
      expiresAt: r.previous_secret_expires_at,
    })),
  );
}

let org: Awaited<ReturnType<typeof createOrganisation>>;
beforeAll(async () => {
  org = await createOrganisation("Rotation");
});

const rotate = (id: string, body: unknown) => call("POST", `/v1/webhooks/${id}/secret/rotate`, { token: org.api_key, body });
const sendEvent = (n: number) => ingest({ organisation_id: org.id, event: "units.depleted", data: { n } });
const sendTest = (id: string) => expectStatus(200, "POST", `/v1/webhooks/${id}/test`, { token: org.api_key, body: { event: "units.depleted" } });

describe("buildRequest during an overlap (known answers)", () => {
  it("signs X-Nafsi-Signature with the previous secret, -Next with the new one, and lists both whsec_ signatures", async () => {
    const [previous, secret] = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"];
    const parts = { url: "https://x.test/", method: "POST", customHeaders: [], webhookId: "wh_1", deliveryId: "dlv_1", event: "units.depleted", body: '{"a":1}' };
    const signer = new Signer();
    const both = await buildRequest(signer, { ...parts, secret, previousSecret: previous }, 1_700_000_000_000);
    const alone = (s: string) => buildRequest(signer, { ...parts, secret: s }, 1_700_000_000_000);
    const [newOnly, oldOnly] = [await alone(secret), await alone(previous)];
    expect(both.headers.get("X-Nafsi-Signature")).toBe(await hmacHex(previous, '{"a":1}'));
    expect(both.headers.get("X-Nafsi-Signature-Next")).toBe(await hmacHex(secret, '{"a":1}'));
    expect(both.headers.get("webhook-signature")).toBe(`${oldOnly.headers.get("webhook-signature")} ${newOnly.headers.get("webhook-signature")}`);
    expect(newOnly.headers.has("X-Nafsi-Signature-Next")).toBe(false);
    // A plain previous secret has no Standard Webhooks signature: only the new whsec_ one is listed.
    const plainPrevious = await buildRequest(signer, { ...parts, secret, previousSecret: "a-plain-secret-of-some-length" }, 1_700_000_000_000);
    expect(plainPrevious.headers.get("webhook-signature")).toBe(newOnly.headers.get("webhook-signature"));
  });
});

describe("POST /v1/webhooks/{id}/secret/rotate", () => {
  it("signs with both secrets through the overlap (a retry pinned before it too), then with the new one alone, and erases the old one", async () => {
    const b = bucket("rotate");
    const OLD = whsec();
    // The first request fails, so event 1's retry comes 2 s later, after the rotation.
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b, "sequence/500,200"), events: ["units.depleted"], secret: OLD });
    await activate(org.api_key, wh.id);
    await sendEvent(1);
    await waitFor(async () => (await received(b)).length >= 1);

    const NEW = whsec();
    const OVERLAP_S = 6;
    const before = Date.now();
    const res = await rotate(wh.id, { secret: NEW, overlap_seconds: OVERLAP_S });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ secret: NEW, secret_hint: NEW.slice(-4), previous_secret_expires_at: expect.any(String) });
    const expiresAt = Date.parse(res.body.previous_secret_expires_at);
    expect(expiresAt - before).toBeGreaterThanOrEqual(OVERLAP_S * 1000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(OVERLAP_S * 1000);
    // Both sealed on every row; nothing the webhook shows names either.
    for (const s of await storedSecrets(wh.id)) expect(s).toMatchObject({ secret: NEW, previous: OLD, expiresAt });
    expect(JSON.stringify((await call("GET", `/v1/webhooks/${wh.id}`, { token: org.api_key })).body)).not.toContain(NEW.slice(6, 20));

    await sendEvent(2);
    await sendEvent(3);
    await sendTest(wh.id);
    // Event 1's retry, events 2 and 3, the test event.
    const during = await waitFor(async () => ((await received(b)).length >= 5 ? received(b) : null));
    expect(Date.now(), "the overlap outlasted the sends").toBeLessThan(expiresAt);
    expect(during.filter((r) => JSON.parse(r.body).data.n === 1), "event 1, tried before and retried after the rotation").toHaveLength(2);
    for (let i = 1; i < during.length; i++) {
      expect(await verifyAtReceiver(b, i, OLD), `request ${i}, old secret`).toMatchObject({ doc: true, standard: true });
      expect(await verifyAtReceiver(b, i, NEW), `request ${i}, new secret`).toMatchObject({ standard: true });
      expect(during[i]!.headers["x-nafsi-signature-next"]).toBe(await hmacHex(NEW, during[i]!.body));
      expect(during[i]!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    }

    // Past the overlap, before maintenance has erased anything: the old secret signs nothing.
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now() + 50)));
    expect((await storedSecrets(wh.id)).every((s) => s.previous === OLD), "not erased yet").toBe(true);
    await sendEvent(4);
    await sendTest(wh.id);
    const all = await waitFor(async () => ((await received(b)).length >= 7 ? received(b) : null));
    for (const i of [5, 6]) {
      expect(all[i]!.headers["x-nafsi-signature-next"]).toBeUndefined();
      expect((await verifyAtReceiver(b, i, OLD)).doc).not.toBe(true);
      expect((await verifyAtReceiver(b, i, OLD)).standard).not.toBe(true);
      expect(await verifyAtReceiver(b, i, NEW), `request ${i}, new secret`).toMatchObject({ doc: true, standard: true });
    }
    expect(all.findIndex((r) => JSON.parse(r.body).data.n === 4)).toBeGreaterThanOrEqual(5);

    await runMaintenance(env);
    for (const s of await storedSecrets(wh.id)) expect(s).toEqual({ row: s.row, secret: NEW, previous: null, expiresAt: null });
  });

  it("with an overlap of 0 stops the old secret at once and keeps nothing of it", async () => {
    const b = bucket("rotate-0");
    const OLD = "a-leaked-secret-0123456789";
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b), events: ["units.depleted"], secret: OLD });
    await activate(org.api_key, wh.id);
    const before = Date.now();
    const res = await rotate(wh.id, { overlap_seconds: 0 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // Generated: the whsec_ form, so Standard Webhooks headers come with it.
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(res.body.secret_hint).toBe(res.body.secret.slice(-4));
    expect(Date.parse(res.body.previous_secret_expires_at)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(res.body.previous_secret_expires_at)).toBeLessThanOrEqual(Date.now());
    for (const s of await storedSecrets(wh.id)) expect(s).toEqual({ row: s.row, secret: res.body.secret, previous: null, expiresAt: null });

    await sendEvent(1);
    await sendTest(wh.id);
    await waitFor(async () => (await received(b)).length >= 2);
    for (const i of [0, 1]) {
      expect((await received(b))[i]!.headers["x-nafsi-signature-next"]).toBeUndefined();
      expect((await verifyAtReceiver(b, i, OLD)).doc).not.toBe(true);
      expect(await verifyAtReceiver(b, i, res.body.secret)).toMatchObject({ doc: true, standard: true });
    }
  });

  it("defaults to a day's overlap, which an edit of the URL keeps and an edit of the secret ends", async () => {
    const wh = await createWebhook(org.api_key, { secret: "first-secret-0123456789" });
    const before = Date.now();
    const res = await rotate(wh.id, {});
    expect(res.status).toBe(200);
    expect(Date.parse(res.body.previous_secret_expires_at) - before).toBeGreaterThanOrEqual(86_400_000);
    expect(Date.parse(res.body.previous_secret_expires_at) - Date.now()).toBeLessThanOrEqual(86_400_000);
    expect((await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key })).secret_hint).toBe(res.body.secret_hint);

    await expectStatus(200, "PATCH", `/v1/webhooks/${wh.id}`, { token: org.api_key, body: { method: "PUT" } });
    const afterUrlEdit = await storedSecrets(wh.id);
    expect(afterUrlEdit).toHaveLength(3);
    for (const s of afterUrlEdit) expect(s).toMatchObject({ secret: res.body.secret, previous: "first-secret-0123456789" });

    await expectStatus(200, "PATCH", `/v1/webhooks/${wh.id}`, { token: org.api_key, body: { secret: "third-secret-0123456789" } });
    const current = (await storedSecrets(wh.id)).filter((s) => s.secret === "third-secret-0123456789");
    expect(current.map((s) => s.previous)).toEqual([null, null]);
  });

  it("refuses bad input with a 400 naming the field, and writes nothing", async () => {
    const wh = await createWebhook(org.api_key, { secret: "current-secret-0123456789" });
    const cases: [unknown, string][] = [
      [{ overlap_seconds: -1 }, "overlap_seconds"],
      [{ overlap_seconds: 604_801 }, "overlap_seconds"],
      [{ overlap_seconds: 1.5 }, "overlap_seconds"],
      [{ overlap_seconds: "86400" }, "overlap_seconds"],
      [{ overlap_seconds: null }, "overlap_seconds"],
      [{ secret: "short" }, "secret"],
      [{ secret: "a-long-enough-secret\nwith-a-line-break" }, "secret"],
      [{ secret: "whsec_not!base64!at!all!here" }, "secret"],
      [{ secret: 12345678901234567890 }, "secret"],
      [{ secret: "current-secret-0123456789" }, "secret"],
      [{ overlap: 60 }, "overlap"],
    ];
    const snapshot = await dbSnapshot();
    for (const [body, field] of cases) {
      const res = await rotate(wh.id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path), JSON.stringify(res.body)).toContain(field);
    }
    expect(await dbSnapshot()).toEqual(snapshot);
    expect((await rotate("wh_00000000000000000000000000", {})).status).toBe(404);
    expect(await dbSnapshot()).toEqual(snapshot);
  });
});

/** Operator routes: organisations and their API keys (shown once, stored only as hashes). */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, INGEST_TOKEN, call, createOrganisation, expectStatus } from "./helpers/api";
import { dbSnapshot } from "./helpers/db-snapshot";

const sha256Hex = async (text: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Every column of every api_keys row, as one string: the key must appear nowhere in it. */
async function apiKeyRowsText(): Promise<string> {
  const { results } = await env.DB.prepare("SELECT * FROM api_keys").all();
  return JSON.stringify(results);
}

describe("POST /v1/organisations", () => {
  it("creates an organisation and shows its key once", async () => {
    const org = await expectStatus(201, "POST", "/v1/organisations", {
      token: ADMIN_TOKEN,
      body: { name: "  Acme Verification  ", notification_email: "ops@acme.example" },
    });
    expect(org).toMatchObject({ name: "Acme Verification", notification_email: "ops@acme.example" });
    expect(Number.isInteger(org.id)).toBe(true);
    expect(new Date(org.created_at).toISOString()).toBe(org.created_at);
    // nfk_ + URL-safe base64 of 32 random bytes (43 characters).
    expect(org.api_key).toMatch(/^nfk_[A-Za-z0-9_-]{43}$/);

    const stored = await env.DB.prepare("SELECT key_hash FROM api_keys WHERE organisation_id = ?").bind(org.id).all<{ key_hash: string }>();
    expect(stored.results).toEqual([{ key_hash: await sha256Hex(org.api_key) }]);
    expect(await apiKeyRowsText()).not.toContain(org.api_key.slice(4));

    // The key works, and nothing ever shows it again.
    const list = await call("GET", "/v1/webhooks", { token: org.api_key });
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(org.api_key);
  });

  it("gives every organisation a different key", async () => {
    const keys = new Set<string>();
    for (let i = 0; i < 5; i++) keys.add((await createOrganisation()).api_key);
    expect(keys.size).toBe(5);
  });

  it.each([
    [{ notification_email: "ops@acme.example" }, "name"],
    [{ name: "   ", notification_email: "ops@acme.example" }, "name"],
    [{ name: "x".repeat(201), notification_email: "ops@acme.example" }, "name"],
    [{ name: "Acme" }, "notification_email"],
    [{ name: "Acme", notification_email: "not an email" }, "notification_email"],
    [{ name: "Acme", notification_email: "ops@acme.example", plan: "gold" }, "plan"],
    [{ name: 42, notification_email: "ops@acme.example" }, "name"],
  ])("refuses %j naming %s, writing nothing", async (body, path) => {
    const before = await dbSnapshot();
    const res = await call("POST", "/v1/organisations", { token: ADMIN_TOKEN, body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(await dbSnapshot()).toEqual(before);
  });

  it("refuses bodies that are not JSON (415), not parseable (400) or too large (413)", async () => {
    const before = await dbSnapshot();
    const form = await call("POST", "/v1/organisations", { token: ADMIN_TOKEN, raw: "name=Acme", headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    expect([form.status, form.body.error.code]).toEqual([415, "UNSUPPORTED_MEDIA_TYPE"]);
    const broken = await call("POST", "/v1/organisations", { token: ADMIN_TOKEN, raw: '{"name": "Acme",', headers: { "Content-Type": "application/json" } });
    expect([broken.status, broken.body.error.code]).toEqual([400, "MALFORMED_JSON"]);
    const big = await call("POST", "/v1/organisations", { token: ADMIN_TOKEN, body: { name: "Acme", notification_email: "ops@acme.example", pad: "x".repeat(300_000) } });
    expect([big.status, big.body.error.code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
    expect(await dbSnapshot()).toEqual(before);
  });

  it.each([
    ["no token", null],
    ["a wrong token", "not-the-admin-token"],
    ["the ingest token", INGEST_TOKEN],
  ])("answers 401 to %s", async (_label, token) => {
    const before = await dbSnapshot();
    const res = await call("POST", "/v1/organisations", { token, body: { name: "Acme", notification_email: "ops@acme.example" } });
    expect([res.status, res.body.error.code]).toEqual([401, "UNAUTHORIZED"]);
    expect(await dbSnapshot()).toEqual(before);
  });

  it("answers 401 to an organisation's API key", async () => {
    const org = await createOrganisation();
    const res = await call("POST", "/v1/organisations", { token: org.api_key, body: { name: "Acme", notification_email: "ops@acme.example" } });
    expect(res.status).toBe(401);
  });

  it("answers 401 to a Basic or lower-case scheme", async () => {
    for (const header of [`Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`, `bearer${ADMIN_TOKEN}`, ADMIN_TOKEN]) {
      const res = await call("POST", "/v1/organisations", { headers: { Authorization: header }, body: { name: "Acme", notification_email: "ops@acme.example" } });
      expect(res.status, header).toBe(401);
    }
  });
});

describe("POST /v1/organisations/{id}/api-keys", () => {
  it("adds a key shown once; old and new keys both work", async () => {
    const org = await createOrganisation();
    const key = await expectStatus(201, "POST", `/v1/organisations/${org.id}/api-keys`, { token: ADMIN_TOKEN });
    expect(key.id).toMatch(/^key_/);
    expect(key.api_key).toMatch(/^nfk_[A-Za-z0-9_-]{43}$/);
    expect(key.api_key).not.toBe(org.api_key);
    expect(await apiKeyRowsText()).not.toContain(key.api_key.slice(4));
    const n = await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE organisation_id = ?").bind(org.id).first<{ n: number }>();
    expect(n!.n).toBe(2);

    // Both keys see the same organisation.
    const wh = await expectStatus(201, "POST", "/v1/webhooks", {
      token: org.api_key,
      body: { type: "event_notification", name: "A", url: "https://api.myapp.com/a", events: ["units.depleted"] },
    });
    await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: key.api_key });
  });

  it("accepts an empty JSON object as the body", async () => {
    const org = await createOrganisation();
    await expectStatus(201, "POST", `/v1/organisations/${org.id}/api-keys`, { token: ADMIN_TOKEN, body: {} });
  });

  it("refuses fields it does not know", async () => {
    const org = await createOrganisation();
    const before = await dbSnapshot();
    const res = await call("POST", `/v1/organisations/${org.id}/api-keys`, { token: ADMIN_TOKEN, body: { name: "ci" } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: "name", message: "unknown field" }]);
    expect(await dbSnapshot()).toEqual(before);
  });

  it.each(["999999", "0", "-1", "abc", "1e0", "1.0", "%201", "0x1", "99999999999999999999"])("answers 404 for organisation %s, writing nothing", async (id) => {
    await createOrganisation(); // organisation 1 exists, so "1e0" or " 1" must not reach it
    const before = await dbSnapshot();
    const res = await call("POST", `/v1/organisations/${id}/api-keys`, { token: ADMIN_TOKEN });
    expect([res.status, res.body.error.code]).toEqual([404, "NOT_FOUND"]);
    expect(await dbSnapshot()).toEqual(before);
  });

  it("answers 401 without the admin token, even with the organisation's own key", async () => {
    const org = await createOrganisation();
    const before = await dbSnapshot();
    for (const token of [null, "wrong", org.api_key, INGEST_TOKEN]) {
      const res = await call("POST", `/v1/organisations/${org.id}/api-keys`, { token });
      expect(res.status, String(token)).toBe(401);
    }
    expect(await dbSnapshot()).toEqual(before);
  });
});

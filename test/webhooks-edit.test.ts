/** PATCH /v1/webhooks/{id}: any field but the type; deliveries use what was saved. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { activate, call, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { dbSnapshot } from "./helpers/db-snapshot";
import { bucket, received, receiverUrl } from "./helpers/receivers";

const revisions = async (webhookId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM webhook_revisions WHERE webhook_id = ?").bind(webhookId).first<{ n: number }>())!.n;

const patch = (token: string, id: string, body: unknown) => call("PATCH", `/v1/webhooks/${id}`, { token, body });

describe("edit", () => {
  it("changes name, description, url, method and events, and nothing else", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { description: "old" });
    const body = {
      name: "Renamed",
      description: null,
      url: "https://hooks.myapp.com/v2",
      method: "PATCH",
      events: ["workflow.created", "units.depleted"],
    };
    const edited = await expectStatus(200, "PATCH", `/v1/webhooks/${wh.id}`, { token: org.api_key, body });
    expect(edited).toMatchObject({ ...body, events_count: 2, type: "event_notification", status: "inactive", secret_hint: wh.secret_hint });
    expect(Date.parse(edited.updated_at)).toBeGreaterThanOrEqual(Date.parse(wh.updated_at));
    expect(edited.created_at).toBe(wh.created_at);
    expect(await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key })).toEqual(edited);
  });

  it("refuses to change the type, writing nothing", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    for (const type of ["verification_check", "event_notification"]) {
      const before = await dbSnapshot();
      const res = await patch(org.api_key, wh.id, { type });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: "type", message: "cannot be changed after creation" }]);
      expect(await dbSnapshot()).toEqual(before);
    }
  });

  it("refuses events on a verification check and criteria on an event notification", async () => {
    const org = await createOrganisation();
    const ev = await createWebhook(org.api_key);
    const vc = await createWebhook(org.api_key, { type: "verification_check", events: undefined });
    const before = await dbSnapshot();
    const a = await patch(org.api_key, vc.id, { events: ["verification.completed"] });
    expect([a.status, a.body.error.details[0].path]).toEqual([400, "events"]);
    const b = await patch(org.api_key, ev.id, { criteria: { min_score: 0.5 } });
    expect([b.status, b.body.error.details[0].path]).toEqual([400, "criteria"]);
    expect(await dbSnapshot()).toEqual(before);
  });

  it("changes only the criteria named, keeping the others as saved", async () => {
    const org = await createOrganisation();
    const criteria = { require_success: false, require_score: false, min_score: 0.6, request_schema: { type: "object" }, response_schema: null };
    const vc = await createWebhook(org.api_key, { type: "verification_check", events: undefined, criteria });
    const edited = await expectStatus(200, "PATCH", `/v1/webhooks/${vc.id}`, { token: org.api_key, body: { criteria: { min_score: 0.9 } } });
    expect(edited.criteria).toEqual({ ...criteria, min_score: 0.9 });
    const cleared = await expectStatus(200, "PATCH", `/v1/webhooks/${vc.id}`, { token: org.api_key, body: { criteria: { request_schema: null } } });
    expect(cleared.criteria).toEqual({ ...criteria, min_score: 0.9, request_schema: null });
  });

  it("starts a new revision only when what a delivery is sent with changes", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    expect(await revisions(wh.id)).toBe(1);
    await expectStatus(200, "PATCH", `/v1/webhooks/${wh.id}`, { token: org.api_key, body: { name: "n", description: "d", events: ["units.depleted"] } });
    expect(await revisions(wh.id)).toBe(1);
    for (const body of [{ url: "https://b.myapp.com/" }, { method: "PUT" }, { secret: "another-secret-123456" }, { headers: [{ name: "X-A", value: "1" }] }]) {
      const n = await revisions(wh.id);
      await expectStatus(200, "PATCH", `/v1/webhooks/${wh.id}`, { token: org.api_key, body });
      expect(await revisions(wh.id), JSON.stringify(body)).toBe(n + 1);
    }
  });

  it("round-trips masked credential headers: sent back unchanged, the stored value is kept and delivered", async () => {
    const org = await createOrganisation();
    const b = bucket("mask");
    const wh = await createWebhook(org.api_key, {
      url: receiverUrl("http", b),
      headers: [
        { name: "Authorization", value: "Bearer token123" },
        { name: "X-Api-Key", value: "k-1" },
        { name: "X-API-Version", value: "v1" },
      ],
    });
    const shown = (await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key })).headers;
    expect(shown.map((h: { value: string }) => h.value)).toEqual(["••••n123", "••••", "v1"]);

    // The client sends back what it was shown, with one header changed and one added.
    const sent = shown.map(({ name, value, enabled }: { name: string; value: string; enabled: boolean }) => ({ name, value: name === "X-API-Version" ? "v2" : value, enabled }));
    sent.push({ name: "X-Auth-Token", value: "new-token-value", enabled: true });
    const edited = await expectStatus(200, "PATCH", `/v1/webhooks/${wh.id}`, { token: org.api_key, body: { headers: sent } });
    expect(edited.headers).toEqual([
      { name: "Authorization", value: "••••n123", enabled: true, masked: true },
      { name: "X-Api-Key", value: "••••", enabled: true, masked: true },
      { name: "X-API-Version", value: "v2", enabled: true, masked: false },
      { name: "X-Auth-Token", value: "••••alue", enabled: true, masked: true },
    ]);

    await activate(org.api_key, wh.id);
    expect((await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted })).status).toBe(202);
    const [got] = await waitFor(async () => {
      const r = await received(b);
      return r.length ? r : undefined;
    });
    expect(got!.headers).toMatchObject({ authorization: "Bearer token123", "x-api-key": "k-1", "x-api-version": "v2", "x-auth-token": "new-token-value" });
  });

  it("refuses a masked value that stands for no stored credential, writing nothing", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { headers: [{ name: "Authorization", value: "Bearer token123" }] });
    const before = await dbSnapshot();
    for (const headers of [
      [{ name: "Authorization", value: "••••9999" }],
      [{ name: "X-Other-Key", value: "••••n123" }],
    ]) {
      const res = await patch(org.api_key, wh.id, { headers });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].path).toBe("headers.0.value");
    }
    const created = await call("POST", "/v1/webhooks", { token: org.api_key, body: { type: "event_notification", name: "x", url: "https://a.myapp.com/", events: ["units.depleted"], headers: [{ name: "Authorization", value: "••••" }] } });
    expect([created.status, created.body.error.details[0].path]).toEqual([400, "headers.0.value"]);
    expect(await dbSnapshot()).toEqual(before);
  });

  it("answers 404 for another organisation's webhook, changing nothing", async () => {
    const org = await createOrganisation();
    const other = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    const before = await dbSnapshot();
    const res = await patch(other.api_key, wh.id, { name: "taken over" });
    expect([res.status, res.body.error.code]).toEqual([404, "NOT_FOUND"]);
    expect(await dbSnapshot()).toEqual(before);
  });
});

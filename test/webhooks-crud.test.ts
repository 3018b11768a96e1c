/** Webhooks of both types: create, read, edit (type fixed), delete with all that belongs to it. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { healthStub } from "../src/durable/health-client";
import { deliveryLog } from "../src/storage/stubs";
import { activate, call, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { dbSnapshot } from "./helpers/db-snapshot";
import { bucket, received, receiverUrl, verifyAtReceiver } from "./helpers/receivers";

const event = {
  type: "event_notification",
  name: "Production Verification Webhook",
  description: "Receive notifications for all verification events",
  url: "https://api.myapp.com/webhooks/nafsi",
  method: "PUT",
  secret: "sk_webhook_abc123xyz789",
  headers: [
    { name: "X-Custom-Header", value: "MyValue", enabled: true },
    { name: "X-API-Version", value: "v1", enabled: false },
    { name: "Authorization", value: "Bearer token123" },
  ],
  events: ["verification.completed", "verification.failed", "units.low_balance"],
};

const check = {
  type: "verification_check",
  name: "Liveness",
  url: "https://liveness.myapp.com/check",
  secret: "a-long-enough-check-secret",
};

const row = (id: string) => env.DB.prepare("SELECT * FROM webhooks WHERE id = ?").bind(id).first<Record<string, unknown>>();

describe("create", () => {
  it("creates an event notification webhook with every field, inactive, secret and credentials hidden", async () => {
    const org = await createOrganisation();
    const wh = await expectStatus(201, "POST", "/v1/webhooks", { token: org.api_key, body: event });
    expect(wh).toMatchObject({
      type: "event_notification",
      name: event.name,
      description: event.description,
      url: event.url,
      method: "PUT",
      status: "inactive",
      events: event.events,
      events_count: 3,
      headers: [
        { name: "X-Custom-Header", value: "MyValue", enabled: true, masked: false },
        { name: "X-API-Version", value: "v1", enabled: false, masked: false },
        { name: "Authorization", value: "••••n123", enabled: true, masked: true },
      ],
      criteria: null,
      secret_hint: "z789",
      certificate: null,
      paused_reason: null,
      success_rate: null,
      last_triggered_at: null,
    });
    expect(wh.id).toMatch(/^wh_[0-9a-z]{26}$/);
    expect(wh).not.toHaveProperty("secret");
    expect(new Date(wh.created_at).toISOString()).toBe(wh.created_at);
    expect(wh.updated_at).toBe(wh.created_at);

    // At rest: the secret and the credential header are encrypted, not stored as typed.
    const stored = JSON.stringify(await row(wh.id));
    expect(stored).not.toContain("sk_webhook_abc123xyz789");
    expect(stored).not.toContain("token123");
    expect(stored).not.toContain("MyValue");
  });

  it("defaults the method to POST, the description to null and the headers to none", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    expect(wh).toMatchObject({ method: "POST", description: null, headers: [], events_count: 1 });
  });

  it("creates a verification check webhook with the product document's default criteria", async () => {
    const org = await createOrganisation();
    const wh = await expectStatus(201, "POST", "/v1/webhooks", { token: org.api_key, body: check });
    expect(wh).toMatchObject({
      type: "verification_check",
      status: "inactive",
      events: [],
      events_count: 0,
      criteria: { require_success: true, require_score: true, min_score: 0.85, request_schema: null, response_schema: null },
    });
  });

  it("keeps criteria as given, JSON Schemas included", async () => {
    const org = await createOrganisation();
    const request_schema = { type: "object", properties: { selfie_url: { type: "string", format: "uri" } }, required: ["selfie_url"] };
    const response_schema = { type: "object", properties: { success: { type: "boolean" }, score: { type: "number", minimum: 0, maximum: 1 } } };
    const criteria = { require_success: false, require_score: true, min_score: 0.5, request_schema, response_schema };
    const wh = await expectStatus(201, "POST", "/v1/webhooks", { token: org.api_key, body: { ...check, criteria } });
    expect(wh.criteria).toEqual(criteria);
    const partial = await expectStatus(201, "POST", "/v1/webhooks", { token: org.api_key, body: { ...check, criteria: { min_score: 1 } } });
    expect(partial.criteria).toEqual({ require_success: true, require_score: true, min_score: 1, request_schema: null, response_schema: null });
  });
});

describe("secrets", () => {
  it("generates whsec_ + base64 of 32 random bytes when none is given, shows it once, and signs with it", async () => {
    const org = await createOrganisation();
    const b = bucket("gen");
    const { secret: _none, ...body } = event;
    const wh = await expectStatus(201, "POST", "/v1/webhooks", { token: org.api_key, body: { ...body, method: "POST", headers: [], url: receiverUrl("http", b) } });
    expect(wh.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(wh.secret.slice(6)).length).toBe(32);
    expect(wh.secret_hint).toBe(wh.secret.slice(-4));

    // Never again: not in GET, not in the list, not in an edit's answer, not in D1 as typed.
    const again = [
      await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key }),
      await expectStatus(200, "GET", "/v1/webhooks", { token: org.api_key }),
      await expectStatus(200, "PATCH", `/v1/webhooks/${wh.id}`, { token: org.api_key, body: { name: "renamed" } }),
      await activate(org.api_key, wh.id),
    ];
    for (const answer of again) expect(JSON.stringify(answer)).not.toContain(wh.secret.slice(6, 30));
    expect(JSON.stringify(await row(wh.id))).not.toContain(wh.secret.slice(6, 30));

    // The secret shown is the one deliveries are signed with (both signature schemes).
    const res = await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted });
    expect(res.status).toBe(202);
    await waitFor(async () => ((await received(b)).length ? true : undefined));
    expect(await verifyAtReceiver(b, 0, wh.secret)).toMatchObject({ doc: true, standard: true });
  });

  it("generates a different secret each time", async () => {
    const org = await createOrganisation();
    const a = await createWebhook(org.api_key);
    const b = await createWebhook(org.api_key);
    expect(a.secret).not.toBe(b.secret);
  });

  it("does not return a secret that was given; secret_hint is its last 4 characters", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { secret: "my-own-secret-0123456789" });
    expect(wh).not.toHaveProperty("secret");
    expect(wh.secret_hint).toBe("6789");
  });

  it("changes the secret on edit, showing only the new hint", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { secret: "first-secret-aaaaaaaa" });
    const edited = await expectStatus(200, "PATCH", `/v1/webhooks/${wh.id}`, { token: org.api_key, body: { secret: "second-secret-bbbbbbbb" } });
    expect(edited.secret_hint).toBe("bbbb");
    expect(edited).not.toHaveProperty("secret");
  });
});

describe("read", () => {
  it("answers one webhook as it was created", async () => {
    const org = await createOrganisation();
    const { secret: _s, ...created } = await createWebhook(org.api_key);
    expect(await expectStatus(200, "GET", `/v1/webhooks/${created.id}`, { token: org.api_key })).toEqual(created);
  });

  it("answers 404 for an unknown id and for another organisation's webhook", async () => {
    const org = await createOrganisation();
    const other = await createOrganisation();
    const theirs = await createWebhook(other.api_key);
    for (const id of ["wh_doesnotexist", theirs.id]) {
      const res = await call("GET", `/v1/webhooks/${id}`, { token: org.api_key });
      expect([res.status, res.body.error.code]).toEqual([404, "NOT_FOUND"]);
    }
  });

  it("serves the event catalogue: 13 events with group and description", async () => {
    const org = await createOrganisation();
    const { data } = await expectStatus(200, "GET", "/v1/event-types", { token: org.api_key });
    expect(data.map((e: { name: string }) => e.name)).toEqual([
      "verification.started", "verification.completed", "verification.failed", "verification.timeout", "verification.review_required",
      "workflow.created", "workflow.updated", "workflow.activated", "workflow.deactivated",
      "units.low_balance", "units.depleted", "webhook.delivery.failed", "client.credits.low",
    ]);
    expect(data.find((e: { name: string }) => e.name === "units.depleted")).toEqual({ name: "units.depleted", group: "billing", description: "Credits exhausted" });
    for (const e of data) expect(e.group && e.description, e.name).toBeTruthy();
    expect((await call("GET", "/v1/event-types")).status).toBe(401);
  });
});

/** Rows of every D1 (control plane) table that belong to one webhook. */
async function belongingTo(webhookId: string): Promise<Record<string, number>> {
  const tables = ["webhooks:id", "webhook_revisions:webhook_id", "webhook_stats:webhook_id", "notifications:webhook_id", "exports:webhook_id"];
  const out: Record<string, number> = {};
  for (const spec of tables) {
    const [table, column] = spec.split(":");
    const r = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`).bind(webhookId).first<{ n: number }>();
    out[table!] = r!.n;
  }
  return out;
}

/** The webhook's traffic: attempts per live partition (its head's list), and whether each partition still has storage. */
async function trafficOf(organisationId: number, webhookId: string, days?: number[]) {
  const listed = await healthStub(env, organisationId, webhookId).partitions();
  const out: { day: number; attempts: number; tables: number }[] = [];
  for (const day of days ?? listed) {
    const log = deliveryLog(env, organisationId, webhookId, day);
    const tables = await runInDurableObject(log, (_o, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").one().n,
    );
    out.push({ day, attempts: (await log.page({ organisationId, webhookId, day }, {}, null, 100)).length, tables });
  }
  return { listed, partitions: out };
}

describe("delete", () => {
  it("deletes the webhook and everything that belongs to it: revisions, stats, exports and their files at once, its partitions by its head's alarm", async () => {
    const org = await createOrganisation();
    const b = bucket("del");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b) });
    const keep = await createWebhook(org.api_key, { url: receiverUrl("http", b) });
    await activate(org.api_key, wh.id);
    await activate(org.api_key, keep.id);
    await expectStatus(200, "PATCH", `/v1/webhooks/${wh.id}`, { token: org.api_key, body: { method: "PUT" } }); // a second revision
    expect((await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted })).status).toBe(202);
    const logged = async (id: string) => (await trafficOf(org.id, id)).partitions.some((p) => p.attempts > 0);
    await waitFor(async () => ((await logged(wh.id)) && (await logged(keep.id)) ? true : undefined));
    // And the heads' summaries for the list written (by their alarms), so that D1 stays still below.
    const summarised = async (id: string) => (await env.DB.prepare("SELECT total FROM webhook_stats WHERE webhook_id = ?").bind(id).first<number>("total")) === 1;
    await waitFor(async () => ((await summarised(wh.id)) && (await summarised(keep.id)) ? true : undefined));

    // An export with its file, and a notification, as other parts of the service would leave them.
    const now = Date.now();
    await env.EXPORTS.put(`exports/${org.id}/exp_del.csv`, "id\n1\n");
    await env.DB.batch([
      env.DB.prepare("INSERT INTO exports (id, organisation_id, webhook_id, status, filters, rows, object_key, created_at, expires_at) VALUES (?, ?, ?, 'done', '{}', 1, ?, ?, ?)")
        .bind("exp_del", org.id, wh.id, `exports/${org.id}/exp_del.csv`, now, now + 86_400_000),
      env.DB.prepare("INSERT INTO notifications (id, organisation_id, webhook_id, kind, recipient, created_at) VALUES ('ntf_del', ?, ?, 'auto_pause', 'ops@example.com', ?)")
        .bind(org.id, wh.id, now),
    ]);
    const before = await belongingTo(wh.id);
    for (const table of ["webhooks", "webhook_revisions", "webhook_stats", "notifications", "exports"]) {
      expect(before[table], table).toBeGreaterThan(0);
    }
    const days = (await trafficOf(org.id, wh.id)).listed;
    const kept = { d1: await belongingTo(keep.id), traffic: await trafficOf(org.id, keep.id) };

    // Another organisation cannot delete it.
    const stranger = await createOrganisation();
    const snapshot = await dbSnapshot();
    expect((await call("DELETE", `/v1/webhooks/${wh.id}`, { token: stranger.api_key })).status).toBe(404);
    expect(await dbSnapshot()).toEqual(snapshot);
    expect((await trafficOf(org.id, wh.id)).listed).toEqual(days);

    const res = await call("DELETE", `/v1/webhooks/${wh.id}`, { token: org.api_key });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expect(await belongingTo(wh.id)).toEqual({ webhooks: 0, webhook_revisions: 0, webhook_stats: 0, notifications: 0, exports: 0 });
    expect(await env.EXPORTS.get(`exports/${org.id}/exp_del.csv`)).toBeNull();
    // The head lists nothing at once, and its alarm drops every partition, then the head itself.
    const head = healthStub(env, org.id, wh.id);
    expect(await head.partitions()).toEqual([]);
    await waitFor(async () => {
      await runDurableObjectAlarm(head);
      const gone = (await trafficOf(org.id, wh.id, days)).partitions.every((p) => p.tables === 0);
      const headLeft = await runInDurableObject(head, (_o, state) => [...state.storage.kv.list()].length);
      return gone && headLeft === 0 ? true : undefined;
    }, 5_000, 50);
    expect(await belongingTo(keep.id)).toEqual(kept.d1);
    expect(await trafficOf(org.id, keep.id)).toEqual(kept.traffic);

    expect((await call("GET", `/v1/webhooks/${wh.id}`, { token: org.api_key })).status).toBe(404);
    expect((await call("DELETE", `/v1/webhooks/${wh.id}`, { token: org.api_key })).status).toBe(404);
  });
});

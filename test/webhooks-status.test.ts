/** The status lifecycle: created inactive; activate; pause; resume; paused by the system with a reason. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { dbSnapshot } from "./helpers/db-snapshot";
import { bucket, received, receiverUrl } from "./helpers/receivers";

const post = (token: string, id: string, action: string, body?: unknown) => call("POST", `/v1/webhooks/${id}/${action}`, { token, body });

describe("status lifecycle", () => {
  it("walks inactive → active → paused → active, with a reason only while paused", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    expect(wh.status).toBe("inactive");

    const active = await post(org.api_key, wh.id, "activate");
    expect([active.status, active.body.status, active.body.paused_reason]).toEqual([200, "active", null]);
    const paused = await post(org.api_key, wh.id, "pause");
    expect([paused.status, paused.body.status, paused.body.paused_reason]).toEqual([200, "paused", "Paused by a user"]);
    const resumed = await post(org.api_key, wh.id, "resume");
    expect([resumed.status, resumed.body.status, resumed.body.paused_reason]).toEqual([200, "active", null]);
    expect(resumed.body.replayed).toBe(0);
    expect((await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key })).status).toBe("active");
  });

  it("treats asking for the status a webhook already has as a no-op", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/activate`, { token: org.api_key });
    expect((await post(org.api_key, wh.id, "activate")).body.status).toBe("active");
    expect((await post(org.api_key, wh.id, "resume")).body.status).toBe("active");
    await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/pause`, { token: org.api_key });
    const again = await post(org.api_key, wh.id, "pause");
    expect([again.status, again.body.status, again.body.paused_reason]).toEqual([200, "paused", "Paused by a user"]);
  });

  it.each([
    ["inactive", "pause", /activate it first/],
    ["inactive", "resume", /activate it first/],
    ["paused", "activate", /use \/resume/],
  ])("refuses from %s: %s (409 INVALID_STATE), changing nothing", async (from, action, hint) => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    if (from === "paused") {
      await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/activate`, { token: org.api_key });
      await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/pause`, { token: org.api_key });
    }
    const before = await dbSnapshot();
    const res = await post(org.api_key, wh.id, action);
    expect([res.status, res.body.error.code]).toEqual([409, "INVALID_STATE"]);
    expect(res.body.error.message).toMatch(hint);
    expect(await dbSnapshot()).toEqual(before);
  });

  it("shows the system's reason when the service paused a webhook, and resume clears it", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/activate`, { token: org.api_key });
    // What the health Durable Object writes after 10 consecutive failures.
    const reason = "Paused automatically after 10 consecutive failed deliveries";
    await env.DB.prepare("UPDATE webhooks SET status = 'paused', paused_reason = ? WHERE id = ?").bind(reason, wh.id).run();
    const got = await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key });
    expect([got.status, got.paused_reason]).toEqual(["paused", reason]);
    const listed = await expectStatus(200, "GET", "/v1/webhooks?status=paused", { token: org.api_key });
    expect(listed.data.map((w: { paused_reason: string }) => w.paused_reason)).toEqual([reason]);
    const resumed = await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/resume`, { token: org.api_key });
    expect([resumed.status, resumed.paused_reason]).toEqual(["active", null]);
  });

  it("resumes with replay_skipped: events that arrived while paused are delivered after all", async () => {
    const org = await createOrganisation();
    const b = bucket("replay");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b) });
    await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/activate`, { token: org.api_key });
    await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/pause`, { token: org.api_key });
    const accepted = await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted });
    expect(accepted.body).toMatchObject({ deliveries: 1, skipped: 1 });
    // Skipped, then resumed without replay: nothing comes back. Paused again and resumed with it: it does.
    expect((await post(org.api_key, wh.id, "resume")).body.replayed).toBe(0);
    await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/pause`, { token: org.api_key });
    const res = await post(org.api_key, wh.id, "resume", { replay_skipped: true });
    expect([res.status, res.body.status, res.body.replayed]).toEqual([200, "active", 1]);
    const [got] = await waitFor(async () => {
      const r = await received(b);
      return r.length ? r : undefined;
    });
    expect(JSON.parse(got!.body).event_id).toBe(accepted.body.event_id);
    // Counted as a success in the webhook's summary, which its head writes to D1 a moment later
    // (waited for, so that write does not land in a later test's "nothing written" window).
    await waitFor(async () => (await expectStatus(200, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key })).success_rate === 100);
  });

  it.each([
    ["activate", { now: true }, "now"],
    ["pause", { reason: "maintenance" }, "reason"],
    ["resume", { replay_skipped: "yes" }, "replay_skipped"],
    ["resume", { replay: true }, "replay"],
  ])("refuses a %s body %j naming %s, changing nothing", async (action, body, path) => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/activate`, { token: org.api_key });
    if (action === "resume") await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/pause`, { token: org.api_key });
    const before = await dbSnapshot();
    const res = await post(org.api_key, wh.id, action, body);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual([path]);
    expect(await dbSnapshot()).toEqual(before);
  });

  it.each(["activate", "pause", "resume"])("answers 404 to %s of an unknown or another organisation's webhook", async (action) => {
    const org = await createOrganisation();
    const other = await createOrganisation();
    const theirs = await createWebhook(other.api_key);
    const before = await dbSnapshot();
    for (const id of ["wh_unknown", theirs.id]) {
      const res = await post(org.api_key, id, action);
      expect([res.status, res.body.error.code]).toEqual([404, "NOT_FOUND"]);
    }
    expect(await dbSnapshot()).toEqual(before);
  });
});

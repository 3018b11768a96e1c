import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { activate, createOrganisation, createWebhook, ingest, INGEST_TOKEN, sampleCompleted, waitFor } from "./helpers/api";
import { attemptsOf, deliveriesOf, eventsOf } from "./helpers/db";
import { unavailableD1 } from "./helpers/failing-d1";
import { failingNamespace } from "./helpers/failing-namespace";
import { bucket, received, receiverUrl } from "./helpers/receivers";

/**
 * The environment in an outage mid-flight: D1 fails every query, and so does the organisations'
 * fan-out object, which reads it (its own binding is the real one; here it is made to fail as
 * its D1 read would).
 */
const d1Down = { ...env, DB: unavailableD1(env.DB), ORGANISATION_FANOUT: failingNamespace(env.ORGANISATION_FANOUT, "subscribers", "D1_ERROR: Network connection lost.", "before") };

describe("ingest when storage fails", () => {
  it("never answers 2xx for an event it could not record", async () => {
    const org = await createOrganisation();
    const res = await app.fetch(
      new Request("http://x/v1/events", {
        method: "POST",
        headers: { Authorization: `Bearer ${INGEST_TOKEN}`, "Content-Type": "application/json" },
        body: JSON.stringify({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted, event_id: "evt_outage_1" }),
      }),
      d1Down,
      createExecutionContext(),
    );
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("1");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("UNAVAILABLE");
    expect(await eventsOf(org.id)).toEqual([]);

    // The caller retries the same request once storage is back: it is accepted once.
    const again = await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted, event_id: "evt_outage_1" });
    expect(again.status).toBe(202);
    expect((await eventsOf(org.id)).map((e) => e.id)).toEqual(["evt_outage_1"]);
  });
});

describe("URL safety at send time", () => {
  it("refuses, before sending, a stored URL changed behind the API to a forbidden host", async () => {
    const org = await createOrganisation();
    const b = bucket("ssrf");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b) });
    await activate(org.api_key, wh.id);
    // Someone edits the database directly: the cloud metadata address.
    await env.DB.prepare("UPDATE webhook_revisions SET url = 'http://169.254.169.254/latest/meta-data/' WHERE webhook_id = ?").bind(wh.id).run();
    await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted });
    await waitFor(async () => ((await deliveriesOf(wh.id))[0]?.status === "failed" ? true : undefined));
    const [a] = await attemptsOf(wh.id);
    expect(a).toMatchObject({ status: "failed", error_code: "url_forbidden", response_code: null });
    expect(a!.error).toMatch(/must not point to a private|must use https/);
    expect(await received(b)).toEqual([]);
  });
});

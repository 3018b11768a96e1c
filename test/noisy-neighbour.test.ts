/**
 * One customer's hanging endpoint must not cost another webhook a delivery, a retry, a false
 * timeout, a failure streak or more than a few seconds (issue: deliveries under the edge's real
 * limits). Ten webhooks of one organisation share every event; one endpoint never answers.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CONNECTIONS_PER_INVOCATION, gateStats } from "../src/delivery/connection-gate";
import { healthStub } from "../src/durable/health-client";
import { activate, createOrganisation, createWebhook, expectStatus, ingest, waitFor } from "./helpers/api";
import { attemptsOf, deliveriesOf } from "./helpers/db";
import { bucket, received, receiverUrl } from "./helpers/receivers";

describe("a hanging endpoint among healthy ones", () => {
  it("delays, fails and pauses no one but itself", async () => {
    const org = await createOrganisation();
    const healthyBucket = bucket("neighbours");
    const hangingBucket = bucket("hanging");
    const hanging = await createWebhook(org.api_key, { url: receiverUrl("http", hangingBucket, "hang"), events: ["workflow.created"] });
    await activate(org.api_key, hanging.id);
    const healthy: string[] = [];
    for (let i = 0; i < 9; i++) {
      const wh = await createWebhook(org.api_key, { url: receiverUrl("http", healthyBucket, `ok/${i}`), events: ["workflow.created"] });
      await activate(org.api_key, wh.id);
      healthy.push(wh.id as string);
    }

    // Twenty events at once: their 200 deliveries share batches, the hanging ones first in each.
    // (Waiting on each hanging send, as the consumer did, takes a 1.5 s timeout per batch.)
    const events = 20;
    const sentAt = Date.now();
    const answers = await Promise.all(Array.from({ length: events }, (_, n) => ingest({ event: "workflow.created", organisation_id: org.id, data: { n } })));
    for (const a of answers) expect(a.status).toBe(202);

    const reqs = await waitFor(async () => {
      const r = await received(healthyBucket);
      return r.length >= 9 * events ? r : undefined;
    }, 30_000, 100);
    // Each healthy delivery arrived once, within a few seconds of its event.
    expect(reqs).toHaveLength(9 * events);
    expect(new Set(reqs.map((r) => r.headers["x-delivery-id"])).size).toBe(9 * events);
    const latest = Math.max(...reqs.map((r) => r.at)) - sentAt;
    expect(latest, "the last healthy delivery arrived this long after the events were sent").toBeLessThan(5_000);

    for (const id of healthy) {
      const log = await waitFor(async () => {
        const a = await attemptsOf(id);
        return a.length === events ? a : undefined;
      });
      // Logged once each, at the first attempt, as the success it was: never a timeout.
      expect(log.map((a) => [a.attempt, a.status, a.error_code])).toEqual(Array.from({ length: events }, () => [1, "success", null]));
      expect(await healthStub(env, org.id, id).streak()).toBe(0);
      const w = await env.DB.prepare("SELECT failure_streak, slow_since FROM webhooks WHERE id = ?").bind(id).first<{ failure_streak: number; slow_since: number | null }>();
      expect(w).toEqual({ failure_streak: 0, slow_since: null });
    }

    // The hanging webhook's attempts are its own: timed out, retried, failed, and at the tenth
    // failed delivery it is paused, as before.
    const mine = await waitFor(async () => {
      const w = await expectStatus(200, "GET", `/v1/webhooks/${hanging.id}`, { token: org.api_key });
      return w.status === "paused" ? w : undefined;
    }, 60_000, 250);
    expect(mine.paused_reason).toMatch(/10 consecutive failed deliveries/);
    // Ten failed after three timed-out attempts each; the rest were skipped once it was paused.
    const deliveries = await waitFor(async () => {
      const d = await deliveriesOf(hanging.id);
      return d.every((x) => x.status !== "pending") ? d : undefined;
    }, 30_000, 250);
    expect(deliveries).toHaveLength(events);
    const failed = deliveries.filter((d) => d.status === "failed");
    expect(failed.length).toBeGreaterThanOrEqual(10);
    for (const d of failed) expect(d.attempts).toBe(3);
    for (const d of deliveries) expect(["failed", "skipped"]).toContain(d.status);
    const log = await attemptsOf(hanging.id);
    expect(new Set(log.filter((a) => a.status !== "skipped").map((a) => a.error_code))).toEqual(new Set(["timeout"]));
    // It went on in the slow lane: the main lane's patience moved it there.
    const row = await env.DB.prepare("SELECT slow_since FROM webhooks WHERE id = ?").bind(hanging.id).first<{ slow_since: number | null }>();
    expect(row!.slow_since).not.toBeNull();
    expect((await received(hangingBucket)).length).toBeGreaterThanOrEqual(3 * failed.length);

    // Sends, retries' queue sends and failure announcements together.
    expect(gateStats.maxInFlight).toBeLessThanOrEqual(CONNECTIONS_PER_INVOCATION);
  }, 120_000);
});

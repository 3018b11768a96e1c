/**
 * The organisation's fan-out object (src/durable/organisation-fanout.ts): what ingest's isolates
 * ask when their own copy misses. D1 is read once per organisation per FANOUT_MAX_AGE_MS, however
 * many events and isolates ask, and again after every change, which the object is told of
 * before the change is answered.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { acceptEvent } from "../src/delivery/accept-event";
import { fanoutMaxAgeMs, type OrganisationFanout } from "../src/durable/organisation-fanout";
import { organisationFanout } from "../src/storage/stubs";
import { activate, createOrganisation, createWebhook, expectStatus, sampleCompleted } from "./helpers/api";

const EVENT = "verification.completed";
const readsOf = (organisationId: number) => runInDurableObject(organisationFanout(env, organisationId), (o: OrganisationFanout) => o.reads);

async function organisationWithWebhook() {
  const org = await createOrganisation();
  const hook = await createWebhook(org.api_key, { events: [EVENT, "units.low_balance"] });
  await activate(org.api_key, hook.id);
  return { org, hook, fanout: organisationFanout(env, org.id) };
}

describe("the organisation's fan-out object", () => {
  it("is a minute unless configured", () => {
    expect(fanoutMaxAgeMs({})).toBe(60_000);
    expect(fanoutMaxAgeMs({ FANOUT_MAX_AGE_MS: "5000" })).toBe(5_000);
  });

  it("reads D1 once per FANOUT_MAX_AGE_MS for every event type, then again", async () => {
    const { org, hook, fanout } = await organisationWithWebhook();
    const t = Date.now();
    const before = await readsOf(org.id);
    expect(await fanout.subscribers(org.id, EVENT, t)).toEqual([{ id: hook.id, status: "active", revision_id: expect.stringMatching(/^rev_/) }]);
    expect(await fanout.subscribers(org.id, "units.low_balance", t + 1)).toHaveLength(1);
    expect(await fanout.subscribers(org.id, "verification.failed", t + 2)).toEqual([]);
    expect(await readsOf(org.id)).toBe(before + 1);
    await fanout.subscribers(org.id, EVENT, t + fanoutMaxAgeMs(env) - 1);
    expect(await readsOf(org.id)).toBe(before + 1);
    await fanout.subscribers(org.id, EVENT, t + fanoutMaxAgeMs(env));
    expect(await readsOf(org.id), "past its age, read again").toBe(before + 2);
  });

  it("spares D1 a read per event: twenty events of a quiet organisation, each in an isolate that missed, read it once", async () => {
    const { org, hook } = await organisationWithWebhook();
    const before = await readsOf(org.id);
    // FANOUT_CACHE_MS "0": no isolate copy at all, as if each event arrived in an isolate that had not seen the organisation lately.
    const missing = { ...env, FANOUT_CACHE_MS: "0" };
    for (let i = 0; i < 20; i++) {
      const accepted = await acceptEvent(missing, { event: EVENT, organisation_id: org.id, data: sampleCompleted });
      expect(accepted).toMatchObject({ deliveries: 1, skipped: 0 });
    }
    expect(await readsOf(org.id)).toBe(before + 1);
    expect(hook.id).toMatch(/^wh_/);
  });

  it("is told of every change through the API before it is answered: the next read sees it", async () => {
    const { org, hook, fanout } = await organisationWithWebhook();
    expect((await fanout.subscribers(org.id, EVENT))?.map((w) => w.status)).toEqual(["active"]);
    await expectStatus(200, "POST", `/v1/webhooks/${hook.id}/pause`, { token: org.api_key });
    expect((await fanout.subscribers(org.id, EVENT))?.map((w) => w.status)).toEqual(["paused"]);
    await expectStatus(200, "PATCH", `/v1/webhooks/${hook.id}`, { token: org.api_key, body: { events: ["units.low_balance"] } });
    expect(await fanout.subscribers(org.id, EVENT)).toEqual([]);
    const second = await createWebhook(org.api_key, { events: [EVENT] });
    await activate(org.api_key, second.id);
    expect((await fanout.subscribers(org.id, EVENT))?.map((w) => w.id)).toEqual([second.id]);
    await expectStatus(204, "DELETE", `/v1/webhooks/${second.id}`, { token: org.api_key });
    expect(await fanout.subscribers(org.id, EVENT)).toEqual([]);
  });

  it("does not keep what a read that started before a change answered", async () => {
    const { org, hook, fanout } = await organisationWithWebhook();
    await runInDurableObject(fanout, async (o: OrganisationFanout) => {
      const reading = o.subscribers(org.id, EVENT);
      o.forget(); // a change's word arrives while that read is in flight
      expect((await reading)?.map((w) => w.status)).toEqual(["active"]);
    });
    // Its answer may be from before the change (here the change lands after it): not kept, so
    // the next read goes to D1 and sees it.
    await env.DB.prepare("UPDATE webhooks SET status = 'paused' WHERE id = ?").bind(hook.id).run();
    expect((await fanout.subscribers(org.id, EVENT))?.map((w) => w.status)).toEqual(["paused"]);
  });

  it("reads D1's primary: a replica may not have the change it was told of", async () => {
    const { org, fanout } = await organisationWithWebhook();
    const asked: unknown[] = [];
    await runInDurableObject(fanout, async (o: OrganisationFanout) => {
      const own = o as unknown as { env: typeof env };
      const real = own.env;
      own.env = { ...real, DB: { ...real.DB, withSession: (c?: string) => (asked.push(c), real.DB.withSession(c)) } as D1Database };
      try {
        o.forget();
        await o.subscribers(org.id, EVENT);
      } finally {
        own.env = real;
      }
    });
    expect(asked).toEqual(["first-primary"]);
  });

  it("never keeps an unknown organisation: it may be created at any moment", async () => {
    const unknown = 2_100_000_000 + Math.floor(Math.random() * 10_000_000);
    const fanout = organisationFanout(env, unknown);
    expect(await fanout.subscribers(unknown, EVENT)).toBeNull();
    expect(await fanout.subscribers(unknown, EVENT)).toBeNull();
    expect(await readsOf(unknown)).toBe(2);
  });
});

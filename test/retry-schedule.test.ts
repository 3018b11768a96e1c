/**
 * retry_schedule, per webhook: the gaps a real receiver sees follow it; a pending delivery keeps
 * the schedule it was created with; bad schedules are refused naming the field, nothing written.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { activate, call, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { dbSnapshot } from "./helpers/db-snapshot";
import { attemptsOf, deliveriesOf } from "./helpers/db";
import { bucket, received, receiverUrl } from "./helpers/receivers";

const event = (org: { id: number }, i = 0) => ingest({ event: "verification.completed", organisation_id: org.id, data: { ...sampleCompleted, i } });

async function failingWebhook(label: string, fields: Record<string, unknown>) {
  const org = await createOrganisation();
  const b = bucket(label);
  const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b, "status/500"), ...fields });
  await activate(org.api_key, wh.id);
  return { org, b, wh };
}

const ended = (webhookId: string, n = 1, ms = 20_000) =>
  waitFor(async () => {
    const ds = await deliveriesOf(webhookId);
    return ds.length === n && ds.every((d) => d.status !== "pending") ? ds : undefined;
  }, ms);

describe("deliveries follow the webhook's retry schedule", () => {
  it("[1, 3]: three attempts, about 1 s and then 3 s apart, at the receiver", async () => {
    const { org, b, wh } = await failingWebhook("rs13", { retry_schedule: [1, 3] });
    expect(wh.retry_schedule).toEqual([1, 3]);
    await event(org);
    await ended(wh.id);
    const reqs = await received(b);
    expect(reqs).toHaveLength(3);
    const gaps = [reqs[1]!.at - reqs[0]!.at, reqs[2]!.at - reqs[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(1000);
    expect(gaps[0]).toBeLessThan(1900);
    expect(gaps[1]).toBeGreaterThanOrEqual(3000);
    expect(gaps[1]).toBeLessThan(3900);
    expect((await attemptsOf(wh.id)).map((a) => a.status)).toEqual(["retrying", "retrying", "failed"]);
  });

  it("[]: one attempt and no retry", async () => {
    const { org, b, wh } = await failingWebhook("rs0", { retry_schedule: [] });
    await event(org);
    expect((await ended(wh.id))[0]!.status).toBe("failed");
    await new Promise((r) => setTimeout(r, 2500));
    expect(await received(b)).toHaveLength(1);
  });

  it("a pending delivery keeps the schedule it was created with; later ones follow the edit", async () => {
    const { org, b, wh } = await failingWebhook("rspin", { retry_schedule: [2, 2] });
    await event(org, 1);
    await waitFor(async () => ((await attemptsOf(wh.id)).length === 1 ? true : undefined));
    const edited = await expectStatus(200, "PATCH", `/v1/webhooks/${wh.id}`, { token: org.api_key, body: { retry_schedule: [] } });
    expect(edited.retry_schedule).toEqual([]);
    await event(org, 2);
    const ds = await ended(wh.id, 2);
    const reqs = await received(b);
    const sent = (id: string) => reqs.filter((r) => r.headers["x-delivery-id"] === id).length;
    const [first, second] = ds; // in the order they were created
    expect(sent(first!.id)).toBe(3);
    expect(sent(second!.id)).toBe(1);
  });
});

describe("the retry_schedule field", () => {
  let apiKey = "";
  let eventId = "";
  let checkId = "";
  beforeAll(async () => {
    apiKey = (await createOrganisation()).api_key;
    eventId = (await createWebhook(apiKey)).id;
    checkId = (await createWebhook(apiKey, { type: "verification_check", events: undefined })).id;
  });

  it("defaults to [2, 4], is shown on every answer, and is null for checks", async () => {
    expect((await expectStatus(200, "GET", `/v1/webhooks/${eventId}`, { token: apiKey })).retry_schedule).toEqual([2, 4]);
    expect((await expectStatus(200, "GET", `/v1/webhooks/${checkId}`, { token: apiKey })).retry_schedule).toBeNull();
    const list = await expectStatus(200, "GET", "/v1/webhooks", { token: apiKey });
    expect(list.data.map((w: { retry_schedule: unknown }) => w.retry_schedule)).toEqual([null, [2, 4]]);
  });

  it("accepts ten delays and the longest, 43,200 s", async () => {
    const ten = [1, 2, 5, 10, 60, 300, 900, 3600, 21600, 43200];
    const w = await expectStatus(200, "PATCH", `/v1/webhooks/${eventId}`, { token: apiKey, body: { retry_schedule: ten } });
    expect(w.retry_schedule).toEqual(ten);
    expect((await expectStatus(200, "GET", `/v1/webhooks/${eventId}`, { token: apiKey })).retry_schedule).toEqual(ten);
  });

  const base = { type: "event_notification", name: "Hook", url: "https://api.myapp.com/hook", events: ["verification.completed"] };
  const cases: [string, "create" | "patch-event" | "patch-check" | "create-check", unknown, string, RegExp][] = [
    ["eleven delays", "create", Array(11).fill(1), "retry_schedule", /at most 10 delays/],
    ["a zero delay", "create", [2, 0], "retry_schedule.1", /from 1 to 43200/],
    ["a negative delay", "patch-event", [-1], "retry_schedule.0", /from 1 to 43200/],
    ["past the queue's longest delay", "patch-event", [43201], "retry_schedule.0", /from 1 to 43200/],
    ["a fraction of a second", "create", [1.5], "retry_schedule.0", /whole number of seconds/],
    ["a string delay", "patch-event", ["2"], "retry_schedule.0", /whole number of seconds/],
    ["not a list", "create", 2, "retry_schedule", /list of at most 10 delays/],
    ["null", "patch-event", null, "retry_schedule", /list of at most 10 delays/],
    ["on a verification check (create)", "create-check", [2, 4], "retry_schedule", /checks are not retried/],
    ["on a verification check (edit)", "patch-check", [2, 4], "retry_schedule", /checks are not retried/],
  ];
  it.each(cases)("refuses %s, naming the field, nothing written", async (_label, to, schedule, path, rule) => {
    const before = await dbSnapshot();
    const res =
      to === "create" ? await call("POST", "/v1/webhooks", { token: apiKey, body: { ...base, retry_schedule: schedule } })
      : to === "create-check" ? await call("POST", "/v1/webhooks", { token: apiKey, body: { type: "verification_check", name: "C", url: "https://c.myapp.com/", retry_schedule: schedule } })
      : await call("PATCH", `/v1/webhooks/${to === "patch-event" ? eventId : checkId}`, { token: apiKey, body: { retry_schedule: schedule } });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    const detail = res.body.error.details.find((d: { path: string }) => d.path === path);
    expect(detail, JSON.stringify(res.body)).toBeDefined();
    expect(detail.message).toMatch(rule);
    expect(await dbSnapshot()).toEqual(before);
  });
});

import { describe, expect, it } from "vitest";
import { activate, createOrganisation, createWebhook, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { attemptsOf, deliveriesOf } from "./helpers/db";
import { bucket, received, receiverUrl } from "./helpers/receivers";

async function webhookAt(behaviour: string, label: string) {
  const org = await createOrganisation();
  const b = bucket(label);
  const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b, behaviour) });
  await activate(org.api_key, wh.id);
  const res = await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted });
  expect(res.status).toBe(202);
  return { org, b, wh };
}

/** Waits until the webhook's only delivery has ended (not pending). */
const settled = (webhookId: string, ms = 20_000) =>
  waitFor(async () => {
    const [d] = await deliveriesOf(webhookId);
    return d && d.status !== "pending" ? d : undefined;
  }, ms);

describe("retries", () => {
  it("retries a 5xx immediately, after 2 s and after 4 s, then fails for good", async () => {
    const { b, wh } = await webhookAt("status/500", "r500");
    const d = await settled(wh.id);
    expect(d.status).toBe("failed");
    const reqs = await received(b);
    expect(reqs).toHaveLength(3);
    const gaps = [reqs[1]!.at - reqs[0]!.at, reqs[2]!.at - reqs[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(2000);
    expect(gaps[0]).toBeLessThan(3000);
    expect(gaps[1]).toBeGreaterThanOrEqual(4000);
    expect(gaps[1]).toBeLessThan(5000);
    // One delivery id across all three attempts, so receivers can drop duplicates.
    expect(new Set(reqs.map((r) => r.headers["x-delivery-id"])).size).toBe(1);
    const log = await attemptsOf(wh.id);
    expect(log.map((a) => [a.attempt, a.status, a.response_code, a.error_code])).toEqual([
      [1, "retrying", 500, "http_5xx"],
      [2, "retrying", 500, "http_5xx"],
      [3, "failed", 500, "http_5xx"],
    ]);
  });

  it("does not retry a 4xx", async () => {
    const { b, wh } = await webhookAt("status/400", "r400");
    expect((await settled(wh.id)).status).toBe("failed");
    await new Promise((r) => setTimeout(r, 2500));
    expect(await received(b)).toHaveLength(1);
    expect((await attemptsOf(wh.id)).map((a) => [a.status, a.error_code])).toEqual([["failed", "http_4xx"]]);
  });

  it("honours Retry-After on a 429", async () => {
    const { b, wh } = await webhookAt("retry-after/429/3", "r429");
    await waitFor(async () => ((await received(b)).length >= 2 ? true : undefined), 20_000);
    const reqs = await received(b);
    expect(reqs[1]!.at - reqs[0]!.at).toBeGreaterThanOrEqual(3000);
    expect(reqs[1]!.at - reqs[0]!.at).toBeLessThan(4500);
    expect((await attemptsOf(wh.id))[0]).toMatchObject({ status: "retrying", response_code: 429 });
  });

  it("gives up on a hanging receiver at the timeout and retries", async () => {
    const { wh } = await webhookAt("hang", "rhang");
    const first = await waitFor(async () => (await attemptsOf(wh.id))[0]);
    expect(first).toMatchObject({ attempt: 1, status: "retrying", error_code: "timeout", response_code: null });
    expect(first.response_time_ms).toBeGreaterThanOrEqual(1400);
  });

  it("does not follow a redirect and does not retry it", async () => {
    const { b, wh } = await webhookAt("redirect", "r302");
    expect((await settled(wh.id)).status).toBe("failed");
    const reqs = await received(b);
    expect(reqs.map((r) => r.path)).toEqual([`/${b}/redirect`]);
    expect((await attemptsOf(wh.id))[0]).toMatchObject({ status: "failed", response_code: 302, error_code: "http_3xx" });
  });

  it("succeeds on a later attempt and logs each one", async () => {
    const { wh } = await webhookAt("sequence/503,200", "rseq");
    expect((await settled(wh.id)).status).toBe("success");
    expect((await attemptsOf(wh.id)).map((a) => [a.attempt, a.status, a.response_code])).toEqual([
      [1, "retrying", 503],
      [2, "success", 200],
    ]);
  });
});

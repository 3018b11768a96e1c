import { describe, expect, it } from "vitest";
import { activate, call, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { attemptsOf, deliveriesOf, partitionLeftovers, partitionsOf } from "./helpers/db";
import { bucket, received, receiverUrl, verifyAtReceiver } from "./helpers/receivers";

/** A webhook whose first attempt fails (503) and whose retry, 2 s later, succeeds. */
async function retryingWebhook() {
  const org = await createOrganisation();
  const b = bucket("pend");
  const secret = "whsec_" + btoa("original-secret-original-secret!");
  const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b, "sequence/503,200"), secret });
  await activate(org.api_key, wh.id);
  await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted });
  await waitFor(async () => ((await attemptsOf(wh.id)).length === 1 ? true : undefined));
  return { org, b, wh, secret };
}

describe("pending deliveries", () => {
  it("keep the URL, headers and secret they were created with when the webhook is edited", async () => {
    const { org, b, wh, secret } = await retryingWebhook();
    const other = bucket("moved");
    await expectStatus(200, "PATCH", `/v1/webhooks/${wh.id}`, {
      token: org.api_key,
      body: { url: receiverUrl("http", other), secret: "whsec_" + btoa("a-brand-new-secret-a-brand-new!!"), headers: [{ name: "X-New", value: "1" }] },
    });
    await waitFor(async () => ((await deliveriesOf(wh.id))[0]!.status === "success" ? true : undefined));
    const reqs = await received(b);
    expect(reqs).toHaveLength(2);
    expect(reqs[1]!.headers["x-new"]).toBeUndefined();
    expect(await verifyAtReceiver(b, 1, secret)).toMatchObject({ doc: true, standard: true, python: true });
    expect(await received(other)).toEqual([]);
  });

  it("are dropped when the webhook is deleted", async () => {
    const { org, b, wh } = await retryingWebhook();
    const days = (await partitionsOf(wh.id)).map((p) => p.day);
    expect(days).toHaveLength(1);
    expect((await call("DELETE", `/v1/webhooks/${wh.id}`, { token: org.api_key })).status).toBe(204);
    await new Promise((r) => setTimeout(r, 3500));
    expect(await received(b)).toHaveLength(1);
    // The head forgot its partitions, and each was dropped, the pending delivery with it.
    await waitFor(async () => ((await partitionsOf(wh.id, org.id)).length === 0 ? true : undefined));
    for (const day of days) await waitFor(async () => {
      const left = await partitionLeftovers(org.id, wh.id, day);
      return Object.keys(left.rows).length === 0 && left.kv.length === 0 ? true : undefined;
    });
  });

  it("have their remaining attempts skipped when the webhook is paused", async () => {
    const { org, b, wh } = await retryingWebhook();
    await expectStatus(200, "POST", `/v1/webhooks/${wh.id}/pause`, { token: org.api_key });
    await waitFor(async () => ((await deliveriesOf(wh.id))[0]!.status === "skipped" ? true : undefined));
    expect(await received(b)).toHaveLength(1);
    expect((await attemptsOf(wh.id)).map((a) => [a.attempt, a.status])).toEqual([[1, "retrying"], [2, "skipped"]]);
  });
});

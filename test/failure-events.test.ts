import { describe, expect, it } from "vitest";
import { activate, createOrganisation, createWebhook, expectStatus, ingest, sampleCompleted, waitFor } from "./helpers/api";
import { attemptsOf, deliveriesOf, eventsOf } from "./helpers/db";
import { bucket, received, receiverUrl } from "./helpers/receivers";

describe("after the last failed attempt", () => {
  it("announces webhook.delivery.failed to subscribed webhooks, and never announces a failed announcement", async () => {
    const org = await createOrganisation();
    const [bad, watcher, brokenWatcher] = [bucket("bad"), bucket("watch"), bucket("bw")];
    const failing = await createWebhook(org.api_key, { url: receiverUrl("http", bad, "status/400") });
    const watching = await createWebhook(org.api_key, { url: receiverUrl("http", watcher), events: ["webhook.delivery.failed"] });
    const broken = await createWebhook(org.api_key, { url: receiverUrl("http", brokenWatcher, "status/410"), events: ["webhook.delivery.failed"] });
    for (const w of [failing, watching, broken]) await activate(org.api_key, w.id);

    const res = await ingest({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted });
    const [got] = await waitFor(async () => {
      const r = await received(watcher);
      return r.length ? r : undefined;
    });
    const body = JSON.parse(got!.body);
    const [failed] = await deliveriesOf(failing.id);
    expect(body).toMatchObject({
      event: "webhook.delivery.failed",
      organisation_id: org.id,
      data: { webhook_id: failing.id, delivery_id: failed!.id, event_id: res.body.event_id, event: "verification.completed", attempts: 1, error_code: "http_4xx", response_code: 400 },
    });
    // The broken watcher failed its announcement; that failure is not announced again.
    await waitFor(async () => ((await deliveriesOf(broken.id))[0]?.status === "failed" ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000));
    expect((await eventsOf(org.id)).filter((e) => e.event === "webhook.delivery.failed")).toHaveLength(1);
    expect(await received(watcher)).toHaveLength(1);

    // The failing webhook's health counted the failure.
    const w = await expectStatus(200, "GET", `/v1/webhooks/${failing.id}`, { token: org.api_key });
    expect(w.status).toBe("active");
    expect((await attemptsOf(failing.id)).map((a) => a.status)).toEqual(["failed"]);
  });
});

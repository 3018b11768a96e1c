import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { activate, createOrganisation, createWebhook, sampleCompleted, waitFor } from "./helpers/api";
import { bucket, received, receiverUrl } from "./helpers/receivers";

describe("ingest over RPC (service binding to EventsRpc)", () => {
  it("publishes like POST /v1/events, and refuses the same bad input", async () => {
    const org = await createOrganisation();
    const b = bucket("rpc");
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b) });
    await activate(org.api_key, wh.id);
    const rpc = exports.EventsRpc;
    const answer = await rpc.publish({ event: "verification.completed", organisation_id: org.id, data: sampleCompleted, event_id: "evt_rpc_1" });
    expect(answer).toEqual({ event_id: "evt_rpc_1", deliveries: 1, skipped: 0 });
    await waitFor(async () => ((await received(b)).length ? true : undefined));
    const refused = await Promise.resolve(rpc.publish({ event: "verification.completed", organisation_id: org.id, data: {} })).then(
      () => null,
      (err: Error) => err.message,
    );
    expect(refused).toMatch(/data\.verification_id/);
  });
});

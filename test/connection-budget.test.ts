/**
 * The edge lets one invocation have six connections waiting for answers; the local runtime has no
 * such cap, so the consumer keeps it itself. Seen from the receiver: with sixty deliveries whose
 * endpoints each take 300 ms, no more than the budget are ever unanswered at once.
 */
import { describe, expect, it } from "vitest";
import { CONNECTIONS_PER_INVOCATION } from "../src/delivery/connection-gate";
import { activate, createOrganisation, createWebhook, ingest, waitFor } from "./helpers/api";
import { bucket, received, receiverUrl } from "./helpers/receivers";

describe("the connection budget", () => {
  it("never has more than six sends of one invocation in flight", async () => {
    const org = await createOrganisation();
    const b = bucket("budget");
    for (let i = 0; i < 12; i++) {
      const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b, `slow/300/${i}`), events: ["workflow.created"] });
      await activate(org.api_key, wh.id);
    }
    await Promise.all(Array.from({ length: 5 }, (_, n) => ingest({ event: "workflow.created", organisation_id: org.id, data: { n } })));
    const reqs = await waitFor(async () => {
      const r = await received(b);
      return r.length >= 60 ? r : undefined;
    }, 60_000, 200);
    const most = Math.max(...reqs.map((r) => r.in_flight ?? 0));
    // The local queue hands out one batch at a time per lane, and nothing here is slow enough to
    // change lanes: what the receiver sees at once is what one invocation sent at once.
    expect(most).toBeLessThanOrEqual(CONNECTIONS_PER_INVOCATION);
    // ...and the budget is used, not sent one at a time.
    expect(most).toBeGreaterThanOrEqual(3);
  }, 90_000);
});

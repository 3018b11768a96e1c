/**
 * A hard stop of `npm run dev` while deliveries are pending (the local queue lives in memory
 * and is lost), then a start on the same persisted D1: every pending delivery comes back by
 * itself (the sweeper, run by the local clock's alarm; no request is made after the restart).
 */
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyMigrations, post, startDev, systemState, type Dev } from "./dev-server";

const PORT = 18000 + Math.floor(Math.random() * 1000);
const RECEIVER_PORT = PORT + 1000;
// Short timings so the test takes seconds: a delivery is overdue 3 s after it was due, and the
// local clock ticks every second.
const VARS = { SWEEP_STALE_MS: "3000", SWEEP_TICK_MS: "1000" };
let dev: Dev | undefined;
let receiver: Server | undefined;
const state = systemState("restart", () => ({ dev, receiver }));

describe("restart with deliveries pending", () => {
  it("brings every pending delivery back after a hard stop", async () => {
    applyMigrations(state);
    const log = join(state, "wrangler.log");
    dev = await startDev(state, PORT, VARS, log);
    const org = await post(`${dev.url}/v1/organisations`, "dev-admin-token", { name: "Restart", notification_email: "ops@example.com" });
    // Nothing listens on the receiver's port yet: first attempts fail and wait 2 s for a retry.
    const wh = await post(`${dev.url}/v1/webhooks`, org.api_key, {
      type: "event_notification", name: "Restart", url: `http://127.0.0.1:${RECEIVER_PORT}/hook`, events: ["workflow.created"],
    });
    await post(`${dev.url}/v1/webhooks/${wh.id}/activate`, org.api_key);
    const eventIds: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await post(`${dev.url}/v1/events`, "dev-ingest-token", { event: "workflow.created", organisation_id: org.id, data: { i } });
      eventIds.push(res.event_id);
    }
    await new Promise((r) => setTimeout(r, 500));
    dev.killHard();
    await new Promise((r) => setTimeout(r, 1000));

    const got = new Set<string>();
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        got.add(JSON.parse(body).event_id);
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((ok) => receiver!.listen(RECEIVER_PORT, "127.0.0.1", ok));
    // Restarted; whatever is on the in-memory queue was lost. Note: no request is sent now.
    dev = await startDev(state, PORT, VARS, log);
    const until = Date.now() + 60_000;
    while (got.size < eventIds.length && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
    expect([...got].sort()).toEqual([...eventIds].sort());
  });
});


/**
 * Connection reuse, under `wrangler dev` (the test pool's fetch does not use the runtime's own
 * connection pool, so only a real process shows it): deliveries to one endpoint, one after
 * another, travel on the same TCP connection. Cancelling each answer's body closed its
 * connection, so every delivery paid for a new one (on the edge: a new TLS handshake with our
 * client certificate).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyMigrations, post, startDev, systemState, type Dev } from "./dev-server";

const json = { "Content-Type": "application/json" };
const PORT = 19000 + Math.floor(Math.random() * 1000);
let dev: Dev | undefined;
let receiver: Server | undefined;
const state = systemState("reuse", () => ({ dev, receiver }));

describe("deliveries to one endpoint", () => {
  it("reuse one connection instead of opening one per delivery", async () => {
    const sockets = new Set<Socket>();
    let deliveries = 0;
    receiver = createServer((req, res) => {
      sockets.add(req.socket);
      req.resume();
      req.on("end", () => {
        deliveries++;
        res.writeHead(200, json).end(JSON.stringify({ received: true }));
      });
    });
    await new Promise<void>((ok) => receiver!.listen(0, "127.0.0.1", ok));
    const receiverPort = (receiver.address() as AddressInfo).port;

    applyMigrations(state);
    dev = await startDev(state, PORT, {}, join(state, "wrangler.log"));
    const org = await post(`${dev.url}/v1/organisations`, "dev-admin-token", { name: "Reuse", notification_email: "ops@example.com" });
    const wh = await post(`${dev.url}/v1/webhooks`, org.api_key, {
      type: "event_notification", name: "Reuse", url: `http://127.0.0.1:${receiverPort}/hook`, events: ["workflow.created"],
    });
    await post(`${dev.url}/v1/webhooks/${wh.id}/activate`, org.api_key);
    // One at a time, each delivered before the next is sent: nothing calls for a second connection.
    for (let i = 1; i <= 6; i++) {
      await post(`${dev.url}/v1/events`, "dev-ingest-token", { event: "workflow.created", organisation_id: org.id, data: { i } });
      const until = Date.now() + 20_000;
      while (deliveries < i && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(deliveries).toBe(i);
    }
    expect(sockets.size).toBeLessThanOrEqual(2);
  });
});

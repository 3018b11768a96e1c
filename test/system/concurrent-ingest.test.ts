/**
 * Concurrent ingests of one organisation under `wrangler dev`, each request its own: every one
 * is answered 202. Requests that awaited another request's in-flight D1 read (the fan-out cache
 * shared it) failed with "Cannot perform I/O on behalf of a different request" after their event
 * was stored: the caller was told 500 for an accepted event. The test pool runs a test's
 * requests so that it never showed; the real runtime, under a steady load, did (here with no
 * subscriber: the shortest request, and the most of them in flight when an entry expires).
 */
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyMigrations, post, startDev, systemState, type Dev } from "./dev-server";

const PORT = 20000 + Math.floor(Math.random() * 1000);
let dev: Dev | undefined;
let receiver: Server | undefined;
const state = systemState("concurrent", () => ({ dev, receiver }));
const LOG = join(state, "wrangler.log");

describe("concurrent ingests of one organisation", () => {
  it("are all answered 202, under a steady load of 50 at a time", async () => {
    receiver = createServer((req, res) => req.resume().on("end", () => res.writeHead(200).end("ok")));
    await new Promise<void>((ok) => receiver!.listen(0, "127.0.0.1", ok));
    const receiverPort = (receiver.address() as AddressInfo).port;

    applyMigrations(state);
    dev = await startDev(state, PORT, {}, LOG);
    const org = await post(`${dev.url}/v1/organisations`, "dev-admin-token", { name: "Concurrent", notification_email: "ops@example.com" });
    const wh = await post(`${dev.url}/v1/webhooks`, org.api_key, {
      type: "event_notification", name: "Concurrent", url: `http://127.0.0.1:${receiverPort}/hook`, events: ["units.depleted"],
    });
    await post(`${dev.url}/v1/webhooks/${wh.id}/activate`, org.api_key);

    // 50 requests at a time, each sender sending its next as soon as its last is answered, for
    // several of the fan-out cache's seconds: every time an entry expires, the requests then in
    // flight all miss it together.
    const statuses: number[] = [];
    const until = Date.now() + 8_000;
    await Promise.all(
      Array.from({ length: 50 }, async (_, sender) => {
        for (let i = 0; Date.now() < until; i++) {
          const res = await fetch(`${dev!.url}/v1/events`, {
            method: "POST",
            headers: { "Content-Type": "application/json", Authorization: "Bearer dev-ingest-token" },
            body: JSON.stringify({ event: "verification.completed", organisation_id: org.id, data: { verification_id: `ver_${sender}_${i}`, workflow_id: "wf_1", status: "success" } }),
          });
          await res.arrayBuffer();
          statuses.push(res.status);
        }
      }),
    );
    expect(statuses.length).toBeGreaterThan(200);
    expect(statuses.filter((s) => s !== 202), readFileSync(LOG, "utf8").match(/.*Error.*/g)?.slice(0, 3).join("\n")).toEqual([]);
  });
});

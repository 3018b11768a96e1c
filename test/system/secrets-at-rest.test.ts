/**
 * Secrets at rest, in the files themselves: `wrangler dev` on a persisted state, webhooks made
 * with signing secrets and credential headers, real deliveries and a test event; then every
 * byte of every file of the state (the D1 SQLite file with its WAL, Durable Object storage, R2,
 * the queue) and the dev server's whole log are searched for each secret in every spelling of
 * test/helpers/secret-forms.ts. The test-pool twin, test/secrets.test.ts, covers the answers.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findSecrets } from "../helpers/secret-forms";
import { applyMigrations, post, startDev, systemState, type Dev } from "./dev-server";

const PORT = 19000 + Math.floor(Math.random() * 1000);
let dev: Dev | undefined;
let receiver: Server | undefined;
const state = systemState("secrets", () => ({ dev, receiver }));

const rand = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => "abcdefghijkmnpqrstuvwxyz23456789"[b % 32]).join("");
const SECRETS = {
  whsecSecret: `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64")}`,
  plainSecret: `sk_webhook_${rand(24)}`,
  bearer: rand(32),
  apiKeyHeader: rand(28),
  authToken: rand(30),
};

/** Every file under `dir`, as bytes read one for one into a string (the forms are all ASCII). */
function filesUnder(dir: string): [string, string][] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => [path.slice(state.length + 1), readFileSync(path).toString("latin1")]);
}

describe("secrets at rest under npm run dev", () => {
  it("are in no file of the persisted state and in no line of the log", async () => {
    applyMigrations(state);
    const log = join(state, "wrangler.log");
    dev = await startDev(state, PORT, {}, log);

    const got: IncomingMessage["headers"][] = [];
    receiver = createServer((req, res) => {
      got.push(req.headers);
      req.resume().on("end", () => res.writeHead(200).end("ok"));
    });
    await new Promise<void>((ok) => receiver!.listen(0, "127.0.0.1", ok));
    const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;

    const marker = `Secret keeper ${rand(8)}`;
    const org = await post(`${dev.url}/v1/organisations`, "dev-admin-token", { name: marker, notification_email: "ops@example.com" });
    const headers = [
      { name: "Authorization", value: `Bearer ${SECRETS.bearer}` },
      { name: "X-Api-Key", value: SECRETS.apiKeyHeader },
      { name: "X-Auth-Token", value: SECRETS.authToken },
    ];
    for (const secret of [SECRETS.whsecSecret, SECRETS.plainSecret]) {
      const wh = await post(`${dev.url}/v1/webhooks`, org.api_key, { type: "event_notification", name: marker, url: hook, events: ["workflow.created"], secret, headers });
      await post(`${dev.url}/v1/webhooks/${wh.id}/activate`, org.api_key);
      await post(`${dev.url}/v1/webhooks/${wh.id}/test`, org.api_key, { event: "workflow.created" });
    }
    for (let i = 0; i < 3; i++) await post(`${dev.url}/v1/events`, "dev-ingest-token", { event: "workflow.created", organisation_id: org.id, data: { i } });
    const until = Date.now() + 60_000;
    while (got.length < 2 + 2 * 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
    // The credentials went out with every request: they were in play.
    expect(got).toHaveLength(8);
    expect(got.every((h) => h.authorization === `Bearer ${SECRETS.bearer}` && h["x-auth-token"] === SECRETS.authToken)).toBe(true);

    await new Promise((r) => setTimeout(r, 1000));
    dev.killHard();
    dev = undefined;

    const files = filesUnder(state);
    // The search reads what it should: the database's rows and the server's request lines.
    expect(files.some(([path, bytes]) => /d1/i.test(path) && bytes.includes(marker)), "the D1 file holds the webhooks").toBe(true);
    expect(readFileSync(log, "utf8")).toMatch(/POST \/v1\/webhooks/);
    expect(findSecrets({ ...SECRETS, apiKey: org.api_key }, files)).toEqual([]);
  });
});

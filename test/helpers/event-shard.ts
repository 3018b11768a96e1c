/** EventShard test fixtures: an organisation of its own per test, an event to store, the shard's day tables. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { EventToStore } from "../../src/storage/contract";
import { eventShard } from "../../src/storage/stubs";

let orgs = 0;
/** Each test its own organisation, so its shards start empty. */
export const newOrg = () => 900_000 + Math.floor(Math.random() * 90_000) * 10 + ++orgs;

export const toStore = (id: string, createdAt = Date.now(), body = `{"id":"${id}"}`): EventToStore => ({
  id,
  event: "workflow.created",
  body,
  request_hash: `hash:${body}`,
  created_at: createdAt,
  fanout: [
    { webhook_id: "wh_a", revision_id: "rev_a", status: "pending" },
    { webhook_id: "wh_b", revision_id: "rev_b", status: "skipped" },
  ],
});

export const tables = (stub: ReturnType<typeof eventShard>) =>
  runInDurableObject(stub, (_o, state) =>
    state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'events_%' ORDER BY name").toArray().map((r) => r.name),
  );

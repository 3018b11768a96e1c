/**
 * The benchmark's baselines, in the same runtime as the service (wrangler dev):
 * - POST /bare answers 202 and does nothing: the ceiling for the ingest route.
 * - POST /enqueue?n=K puts K messages on a queue whose consumer only fetches the receiver,
 *   six at a time within a batch (the edge's connections per invocation, which the service's
 *   consumer honours too): the ceiling for end-to-end delivery.
 */
import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";

type Job = { url: string; id: string; sent_at: number };

interface Env {
  BASELINE_QUEUE: Queue<Job>;
  FLOOR_QUEUE: Queue<Job>;
  DB: D1Database;
  FLOOR: DurableObjectNamespace<FloorShard>;
}

/** The least a durable ingest must do in an object: one SQLite insert of the event. */
export class FloorShard extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, body TEXT NOT NULL)");
  }
  put(id: string, body: string): number {
    return this.ctx.storage.sql.exec("INSERT OR IGNORE INTO events (id, body) VALUES (?, ?)", id, body).rowsWritten;
  }
  /** A batch's attempts, one row each, in one call: the least "every attempt logged" costs. */
  log(attempts: { id: string; status: number }[]): void {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS attempts (id TEXT PRIMARY KEY, status INTEGER NOT NULL)");
    for (const a of attempts) this.ctx.storage.sql.exec("INSERT OR REPLACE INTO attempts (id, status) VALUES (?, ?)", a.id, a.status);
  }
}

const app = new Hono<{ Bindings: Env }>();
app.get("/", (c) => c.text("ok"));
app.post("/bare", (c) => c.json({ accepted: true }, 202));
// The floors: the irreducible work of an ingest that is durable before its 202, without any of
// the service's logic. /floor/object writes the body to one of 64 objects; /floor first reads D1
// once, as an ingest that reads its fan-out for every event would (the service keeps it: src/db/fanout-cache.ts).
const floorWrite = async (env: Env, body: string) => {
  const id = crypto.randomUUID();
  const shard = env.FLOOR.get(env.FLOOR.idFromName(`org-1:${Math.floor(Math.random() * 64)}`));
  await shard.put(id, body);
  return id;
};
app.post("/floor/object", async (c) => c.json({ event_id: await floorWrite(c.env, await c.req.text()) }, 202));
app.post("/floor", async (c) => {
  const body = await c.req.text();
  await c.env.DB.prepare("SELECT ?1 AS organisation").bind(1).all();
  return c.json({ event_id: await floorWrite(c.env, body) }, 202);
});
// The end-to-end floor: /floor, then the queue send, as the service's ingest does.
app.post("/floor/enqueue", async (c) => {
  const body = await c.req.text();
  const { url } = JSON.parse(body) as { url: string };
  const n = Number(c.req.query("n") ?? "1");
  await c.env.DB.prepare("SELECT ?1 AS organisation").bind(1).all();
  await floorWrite(c.env, body);
  const sent_at = Date.now();
  await c.env.FLOOR_QUEUE.sendBatch(Array.from({ length: n }, () => ({ body: { url, id: crypto.randomUUID(), sent_at } })));
  return c.json({ enqueued: n }, 202);
});
app.post("/enqueue", async (c) => {
  const { url } = await c.req.json<{ url: string }>();
  const n = Number(c.req.query("n") ?? "1");
  const sent_at = Date.now();
  await c.env.BASELINE_QUEUE.sendBatch(Array.from({ length: n }, () => ({ body: { url, id: crypto.randomUUID(), sent_at } })));
  return c.json({ enqueued: n }, 202);
});

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    const queue = [...batch.messages];
    const attempts: { id: string; status: number }[] = [];
    const send = async () => {
      for (let m = queue.shift(); m; m = queue.shift()) {
        const res = await fetch(m.body.url, { method: "POST", headers: { "x-bench-id": m.body.id, "content-type": "application/json" }, body: JSON.stringify({ sent_at: m.body.sent_at }) });
        await res.arrayBuffer();
        attempts.push({ id: m.body.id, status: res.status });
      }
    };
    // Six connections per invocation on the edge: the baseline keeps the same budget.
    await Promise.all(Array.from({ length: 6 }, send));
    // The floor's consumer logs the batch's attempts in its webhook's object (one call) before acking.
    if (batch.queue === "bench-floor") await env.FLOOR.get(env.FLOOR.idFromName("webhook-1")).log(attempts);
    batch.ackAll();
  },
} satisfies ExportedHandler<Env, Job>;

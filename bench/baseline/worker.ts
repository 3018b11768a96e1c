/**
 * The benchmark's baselines, in the same runtime as the service (wrangler dev):
 * - POST /bare answers 202 and does nothing: the ceiling for the ingest route.
 * - POST /enqueue?n=K puts K messages on a queue whose consumer only fetches the receiver,
 *   six at a time within a batch (the edge's connections per invocation, which the service's
 *   consumer honours too): the ceiling for end-to-end delivery.
 */
import { Hono } from "hono";

interface Env {
  BASELINE_QUEUE: Queue<{ url: string; id: string; sent_at: number }>;
}

const app = new Hono<{ Bindings: Env }>();
app.get("/", (c) => c.text("ok"));
app.post("/bare", (c) => c.json({ accepted: true }, 202));
app.post("/enqueue", async (c) => {
  const { url } = await c.req.json<{ url: string }>();
  const n = Number(c.req.query("n") ?? "1");
  const sent_at = Date.now();
  await c.env.BASELINE_QUEUE.sendBatch(Array.from({ length: n }, () => ({ body: { url, id: crypto.randomUUID(), sent_at } })));
  return c.json({ enqueued: n }, 202);
});

export default {
  fetch: app.fetch,
  async queue(batch, _env) {
    const queue = [...batch.messages];
    const send = async () => {
      for (let m = queue.shift(); m; m = queue.shift()) {
        const res = await fetch(m.body.url, { method: "POST", headers: { "x-bench-id": m.body.id, "content-type": "application/json" }, body: JSON.stringify({ sent_at: m.body.sent_at }) });
        await res.arrayBuffer();
      }
    };
    // Six connections per invocation on the edge: the baseline keeps the same budget.
    await Promise.all(Array.from({ length: 6 }, send));
    batch.ackAll();
  },
} satisfies ExportedHandler<Env, { url: string; id: string; sent_at: number }>;

/**
 * The benchmark's baselines, in the same runtime as the service (wrangler dev):
 * - POST /bare answers 202 and does nothing: the ceiling for the ingest route.
 * - POST /enqueue?n=K puts K messages on a queue whose consumer only fetches the receiver
 *   (concurrently within a batch): the ceiling for end-to-end delivery.
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
    await Promise.all(
      batch.messages.map(async (m) => {
        const res = await fetch(m.body.url, { method: "POST", headers: { "x-bench-id": m.body.id, "content-type": "application/json" }, body: JSON.stringify({ sent_at: m.body.sent_at }) });
        await res.arrayBuffer();
      }),
    );
    batch.ackAll();
  },
} satisfies ExportedHandler<Env, { url: string; id: string; sent_at: number }>;

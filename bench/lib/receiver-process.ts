/**
 * The benchmark's receiver, run as its own process so it does not share a core with the load
 * generator. It checks the signature of every request, records every delivery id with its
 * receipt time, and answers /stats.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";

const secret = process.env.BENCH_SECRET ?? "";
let received: { id: string; latencyMs: number; at: number; path: string; signed: boolean }[] = [];
const hung: ServerResponse[] = [];

const server = createServer((req, res) => {
  if (req.url?.startsWith("/stats")) {
    // Only the requests of one run: its webhooks' URLs share a path prefix.
    const prefix = new URL(req.url, "http://x").searchParams.get("prefix") ?? "/";
    const mine = received.filter((r) => r.path.startsWith(prefix));
    const ids = new Map<string, number>();
    for (const r of mine) ids.set(r.id, (ids.get(r.id) ?? 0) + 1);
    res.writeHead(200, { "Content-Type": "application/json" }).end(
      JSON.stringify({
        count: mine.length,
        unique: ids.size,
        duplicates: mine.length - ids.size,
        badSignatures: mine.filter((r) => !r.signed).length,
        ids: [...ids.keys()],
        latencies: mine.map((r) => r.latencyMs),
        first: mine.reduce((m, r) => Math.min(m, r.at), Infinity),
        last: mine.reduce((m, r) => Math.max(m, r.at), 0),
      }),
    );
    return;
  }
  if (req.url === "/reset") {
    received = [];
    res.writeHead(200).end("ok");
    return;
  }
  // The noisy neighbour: an endpoint that never answers (the sender's timeout ends it, or /release).
  if (req.url?.startsWith("/hang")) {
    req.resume();
    hung.push(res);
    return;
  }
  // The end of a noisy run: what still hangs is answered 503, so no send outlives its run.
  if (req.url === "/release") {
    for (const h of hung.splice(0)) if (!h.writableEnded) h.writeHead(503).end("released");
    res.writeHead(200).end("ok");
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const now = Date.now();
    const body = Buffer.concat(chunks);
    // The baseline consumer does not sign: its requests carry x-bench-id and are not checked.
    const signature = String(req.headers["x-nafsi-signature"] ?? "");
    const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
    const given = Buffer.from(signature);
    const signed = req.headers["x-bench-id"] !== undefined || (given.length === expected.length && timingSafeEqual(given, expected));
    let sentAt = now;
    try {
      const parsed = JSON.parse(body.toString("utf8")) as { timestamp?: string; sent_at?: number };
      sentAt = parsed.sent_at ?? (Date.parse(parsed.timestamp ?? "") || now);
    } catch {
      /* not JSON: counted by its latency as 0 */
    }
    const id = String(req.headers["x-delivery-id"] ?? req.headers["x-bench-id"] ?? "");
    received.push({ id, latencyMs: now - sentAt, at: now, path: req.url ?? "/", signed });
    res.writeHead(200).end("ok");
  });
});

server.listen(Number(process.env.BENCH_RECEIVER_PORT ?? 0), "127.0.0.1", () => {
  const addr = server.address();
  process.send?.({ port: typeof addr === "object" && addr ? addr.port : 0 });
});

/**
 * Real receivers for the tests, in Node: a plain HTTP one, an HTTPS one that demands a client
 * certificate signed by our client CA (mTLS), and an HTTPS one whose certificate nobody trusts.
 * All three record every request; the plain one also serves /_control for the tests.
 *
 * What a receiver does is in its path: /<bucket>/<behaviour>[/<arg>...]
 *   ok                    200
 *   status/<code>         that status
 *   retry-after/<code>/<s> that status with Retry-After: s
 *   hang                  never answers
 *   slow/<ms>             200 after ms
 *   redirect              302 to /<bucket>/ok
 *   sequence/<c1,c2,...>  the n-th request to this path gets the n-th code (the last repeats)
 *   json/<base64url>      200 with that JSON body (verification checks)
 *   text/<code>/<n>       that status with a text/plain body of "a" and n "é" (1 + 2n bytes)
 */
import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Pki } from "./pki";
import { verifyWithDocSnippet } from "./doc-snippet.cjs";
import { Webhook } from "standardwebhooks";

export type { Recorded } from "./recorded";
import type { Recorded } from "./recorded";

const records = new Map<string, Recorded[]>();
const counters = new Map<string, number>();
const hanging = new Set<ServerResponse>();
const open = new Map<string, number>();

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function record(req: IncomingMessage, body: Buffer): { bucket: string; parts: string[]; entry: Recorded } {
  const url = new URL(req.url ?? "/", "http://x");
  const [bucket = "", ...parts] = url.pathname.split("/").filter(Boolean);
  const socket = req.socket as TLSSocket;
  const peer = typeof socket.getPeerCertificate === "function" ? socket.getPeerCertificate() : null;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : (v ?? "");
  const list = records.get(bucket) ?? [];
  const entry: Recorded = {
    method: req.method ?? "",
    path: url.pathname,
    headers,
    body: body.toString("utf8"),
    at: Date.now(),
    tls: Boolean(socket.encrypted),
    client_cert_subject: peer && peer.subject ? String(peer.subject.CN) : null,
  };
  list.push(entry);
  records.set(bucket, list);
  return { bucket, parts, entry };
}

async function behave(req: IncomingMessage, res: ServerResponse) {
  const body = await readBody(req);
  const { bucket, parts, entry } = record(req, body);
  // How many of this bucket's requests are unanswered, this one included: the sender's concurrency.
  entry.in_flight = (open.get(bucket) ?? 0) + 1;
  open.set(bucket, entry.in_flight);
  res.on("close", () => open.set(bucket, open.get(bucket)! - 1));
  const [behaviour, a, b] = parts;
  switch (behaviour) {
    case "hang":
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      return;
    case "slow":
      setTimeout(() => res.writeHead(200).end("ok"), Number(a));
      return;
    case "status":
      res.writeHead(Number(a)).end(`status ${a}`);
      return;
    case "retry-after":
      res.writeHead(Number(a), { "Retry-After": String(b) }).end("slow down");
      return;
    case "redirect":
      res.writeHead(302, { Location: `/${bucket}/ok` }).end();
      return;
    case "sequence": {
      const key = `${bucket}/${parts.join("/")}`;
      const n = counters.get(key) ?? 0;
      counters.set(key, n + 1);
      const codes = (a ?? "200").split(",").map(Number);
      const code = codes[Math.min(n, codes.length - 1)]!;
      res.writeHead(code).end(`status ${code}`);
      return;
    }
    case "text":
      res.writeHead(Number(a), { "Content-Type": "text/plain; charset=utf-8" }).end(`a${"é".repeat(Number(b))}`);
      return;
    case "json":
      res.writeHead(200, { "Content-Type": "application/json" }).end(Buffer.from(a ?? "", "base64url").toString("utf8"));
      return;
    default:
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ received: true }));
  }
}

/** /_control: what the tests ask of the receivers (they run inside workerd). */
async function control(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", "http://x");
  const bucket = url.searchParams.get("bucket") ?? "";
  const send = (value: unknown) => res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(value));
  if (url.pathname === "/_control/requests") return send(records.get(bucket) ?? []);
  if (url.pathname === "/_control/verify") {
    // The product document's snippet and the standardwebhooks package, on the raw bytes received.
    const { index, secret } = JSON.parse((await readBody(req)).toString("utf8")) as { index: number; secret: string };
    const r = (records.get(bucket) ?? [])[index];
    if (!r) return send({ error: "no such request" });
    let doc: boolean | string;
    try {
      doc = verifyWithDocSnippet(JSON.parse(r.body), r.headers["x-nafsi-signature"] ?? "", secret);
    } catch (err) {
      doc = String(err);
    }
    let standard: boolean | string | null = null;
    if (secret.startsWith("whsec_")) {
      try {
        new Webhook(secret).verify(r.body, { "webhook-id": r.headers["webhook-id"]!, "webhook-timestamp": r.headers["webhook-timestamp"]!, "webhook-signature": r.headers["webhook-signature"]! });
        standard = true;
      } catch (err) {
        standard = String(err);
      }
    }
    return send({ doc, standard, node: nodeRaw(r, secret), python: pythonRaw(r, secret) });
  }
  res.writeHead(404).end();
}

/** Independent verifiers on the raw received bytes: Node's crypto, and Python's hmac module. */
function nodeRaw(r: Recorded, secret: string): boolean {
  return r.headers["x-nafsi-signature"] === `sha256=${createHmac("sha256", secret).update(Buffer.from(r.body, "utf8")).digest("hex")}`;
}

const PYTHON_VERIFY = [
  "import hmac, hashlib, sys",
  "secret, signature = sys.argv[1], sys.argv[2]",
  "body = sys.stdin.buffer.read()",
  "expected = 'sha256=' + hmac.new(secret.encode('utf-8'), body, hashlib.sha256).hexdigest()",
  "print('ok' if hmac.compare_digest(expected, signature) else 'mismatch')",
].join("\n");

function pythonRaw(r: Recorded, secret: string): boolean | string {
  try {
    const out = execFileSync("python3", ["-c", PYTHON_VERIFY, secret, r.headers["x-nafsi-signature"] ?? ""], { input: Buffer.from(r.body, "utf8") });
    return out.toString().trim() === "ok";
  } catch (err) {
    return `python3 failed: ${String(err)}`;
  }
}

export interface Receivers {
  httpPort: number;
  mtlsPort: number;
  untrustedPort: number;
  close(): Promise<void>;
}

export async function startReceivers(pki: Pki): Promise<Receivers> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const run = req.url?.startsWith("/_control/") ? control(req, res) : behave(req, res);
    run.catch((err) => res.writeHead(500).end(String(err)));
  };
  const http = createHttp(handler);
  const mtls = createHttps({ cert: pki.serverCert, key: pki.serverKey, ca: pki.clientCa, requestCert: true, rejectUnauthorized: true }, handler);
  const untrusted = createHttps({ cert: pki.rogueCert, key: pki.rogueKey }, handler);
  const listen = (s: typeof http | typeof mtls) => new Promise<number>((ok) => s.listen(0, "127.0.0.1", () => ok((s.address() as AddressInfo).port)));
  const [httpPort, mtlsPort, untrustedPort] = [await listen(http), await listen(mtls), await listen(untrusted)];
  return {
    httpPort,
    mtlsPort,
    untrustedPort,
    async close() {
      for (const res of hanging) res.destroy();
      await Promise.all([http, mtls, untrusted].map((s) => new Promise((ok) => { s.closeAllConnections(); s.close(ok); })));
    },
  };
}

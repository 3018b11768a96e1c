/**
 * Stands in for the production mTLS certificate binding, which cannot run locally
 * (../shared/TOOLCHAIN.md). It runs in Node: forwards the Worker's request with node:https,
 * presenting our client certificate and trusting only the test "public" CA, as the edge does.
 * Failures answer as Cloudflare's edge does: 526 for a failed TLS handshake, 521 for a refused
 * connection, 523 for a host that cannot be resolved or reached, 522 for a connect timeout.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Pki } from "./pki";

const TLS_ERROR = /CERT|SSL|TLS|certificate|self.signed|EPROTO|alert/i;

export function mtlsForwarder(pki: Pki) {
  return async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => (headers[k] = v));
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const out = send(
        url,
        {
          method: req.method,
          headers,
          ...(url.protocol === "https:" ? { cert: pki.clientCert, key: pki.clientKey, ca: pki.publicCa } : {}),
          timeout: 120_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(", ") : v);
            const status = res.statusCode ?? 502;
            const noBody = status === 204 || status === 304;
            resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, headers: h }));
          });
          res.on("error", reject);
        },
      );
      out.on("timeout", () => out.destroy(new Error("socket timeout")));
      out.on("error", (err: NodeJS.ErrnoException) => {
        const text = `${err.code ?? ""} ${err.message}`;
        if (TLS_ERROR.test(text)) resolve(new Response(`TLS handshake failed: ${text}`, { status: 526 }));
        else if (err.code === "ECONNREFUSED") resolve(new Response(`Connection refused: ${text}`, { status: 521 }));
        else if (err.code === "ETIMEDOUT" || text.includes("socket timeout")) resolve(new Response(`Connect timeout: ${text}`, { status: 522 }));
        else if (err.code === "ENOTFOUND" || err.code === "EHOSTUNREACH" || err.code === "ENETUNREACH") resolve(new Response(`Unreachable: ${text}`, { status: 523 }));
        else reject(err);
      });
      out.end(body);
    });
  };
}

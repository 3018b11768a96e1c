import type { Env } from "../env";
import { parseRetryAfter, type FailureCode, type Outcome, type ResponseHead } from "./retry-policy";
import type { OutgoingRequest } from "./build-request";
import { headText, readHead } from "../lib/read-head";
import { signedHeaders } from "./signing-headers";

/** The product document: an endpoint must answer within 30 seconds. Tests shorten it by config. */
export const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_ERROR_LENGTH = 500;

export const timeoutMs = (env: Pick<Env, "DELIVERY_TIMEOUT_MS">) => Number(env.DELIVERY_TIMEOUT_MS) || DEFAULT_TIMEOUT_MS;

/**
 * One HTTP exchange with a customer's endpoint, the way every send is made: through the mTLS
 * binding (our client certificate) where it exists, plain fetch elsewhere; never following
 * redirects; one timeout covering the answer and whatever `read` does with it. Never throws:
 * `read` turns the response into a result, `failed` the error (timedOut says which kind).
 */
export async function exchange<T>(
  env: Env,
  url: string,
  init: { method: string; headers: Headers | Record<string, string>; body?: Uint8Array },
  limitMs: number,
  read: (res: Response, elapsed: () => number) => Promise<T>,
  failed: (err: unknown, timedOut: boolean, elapsedMs: number) => T,
  cancel?: AbortSignal,
): Promise<T> {
  const fetcher = env.MTLS ?? globalThis;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  // The runtime's own timer, made here: the caller starts a send only when it has a connection
  // (connection-gate.ts), so the time it spent waiting for one is not counted against it.
  const timeout = AbortSignal.timeout(limitMs);
  const signal = cancel ? AbortSignal.any([timeout, cancel]) : timeout;
  try {
    const res = await fetcher.fetch(url, { ...init, redirect: "manual", signal });
    return await read(res, elapsed);
  } catch (err) {
    return failed(err, timeout.aborted, elapsed());
  }
}

/** exchange() for a request built by buildRequest(): its URL, method, headers and signed body. */
export const exchangeRequest = <T>(
  env: Env,
  req: OutgoingRequest,
  limitMs: number,
  read: (res: Response, elapsed: () => number) => Promise<T>,
  failed: (err: unknown, timedOut: boolean, elapsedMs: number) => T,
  cancel?: AbortSignal,
) => exchange(env, req.url, { method: req.method, headers: req.headers, body: req.body }, limitMs, read, failed, cancel);

/** Answers longer than this are cut off; shorter ones are read to the end. */
const MAX_DRAINED_BYTES = 64 * 1024;
/** API.md, "Operating deliveries": a delivery's detail shows at most 1 KiB of each answer. */
export const RESPONSE_HEAD_BYTES = 1024;
/** Longer content types are cut: a real one (type, subtype, charset or boundary) is far shorter. */
const MAX_CONTENT_TYPE_LENGTH = 200;

/** The answer's content type and first bytes, kept for the delivery's detail (headText: whole characters only). */
export function responseHead(headers: Headers, head: Uint8Array): ResponseHead {
  const text = headText(head, RESPONSE_HEAD_BYTES);
  return { contentType: headers.get("Content-Type")?.slice(0, MAX_CONTENT_TYPE_LENGTH) ?? null, body: text === "" ? null : text };
}

/**
 * A delivery: only the status counts. The body is read to its end (up to a limit) so the
 * connection goes back to the pool: cancelling it closed the connection, and 4,589 of 5,000
 * deliveries to one endpoint opened a new one (on the edge, a TLS handshake with our client
 * certificate each). test/system/connection-reuse.test.ts holds it.
 */
export function send(env: Env, req: OutgoingRequest, limitMs?: number): Promise<Outcome>;
export function send(env: Env, req: OutgoingRequest, limitMs: number, patienceMs: number | null): Promise<Outcome | Unanswered>;
export async function send(env: Env, req: OutgoingRequest, limitMs = timeoutMs(env), patienceMs: number | null = null): Promise<Outcome | Unanswered> {
  const result = await exchangeOnce(env, req, limitMs, patienceMs);
  return isUnanswered(result) ? result : { ...result, signedHeaders: signedHeaders(req.headers) };
}

function exchangeOnce(env: Env, req: OutgoingRequest, limitMs: number, patienceMs: number | null): Promise<Outcome | Unanswered> {
  // Patience covers the wait for the answer's headers only: once the endpoint has answered,
  // its status is the outcome, however long its body takes.
  const patience = patienceMs !== null && patienceMs < limitMs ? new AbortController() : null;
  const timer = patience ? setTimeout(() => patience.abort(), patienceMs!) : undefined;
  return exchangeRequest<Outcome | Unanswered>(
    env,
    req,
    limitMs,
    async (res, elapsed) => {
      clearTimeout(timer);
      const { head } = await readHead(res.body, MAX_DRAINED_BYTES, RESPONSE_HEAD_BYTES).catch(() => ({ head: new Uint8Array() }));
      return { ...classifyResponse(res.status, res.headers, elapsed()), response: responseHead(res.headers, head) };
    },
    (err, timedOut, ms) => {
      clearTimeout(timer);
      return !timedOut && patience?.signal.aborted ? { unanswered: true, elapsedMs: ms } : classifyError(err, timedOut, limitMs, ms);
    },
    patience?.signal,
  );
}

/** A send cancelled for want of an answer within the lane's patience: not an attempt (lanes.ts). */
export interface Unanswered {
  unanswered: true;
  elapsedMs: number;
}

export const isUnanswered = (x: Outcome | Unanswered): x is Unanswered => "unanswered" in x;

export function classifyResponse(status: number, headers: Headers, ms: number): Outcome {
  if (status >= 200 && status < 300) return { ok: true, statusCode: status, responseTimeMs: ms, errorCode: null, error: null };
  // Cloudflare's edge answers for the origin when it cannot talk to it: 525/526 for a failed TLS
  // handshake, 521/523 for a refused or unreachable host, 522/524 for a timeout.
  if (status === 525 || status === 526) return fail("tls", status, ms, `TLS handshake with the endpoint failed (HTTP ${status})`);
  if (status === 521 || status === 523) return fail("connection", status, ms, `The endpoint could not be reached (HTTP ${status})`);
  if (status === 522 || status === 524) return fail("timeout", status, ms, `The endpoint timed out (HTTP ${status})`);
  // 520 is Cloudflare's "unknown error" from an origin, and also what it answers to every request
  // that presents a client certificate (the mTLS binding) to a hostname it proxies (mTLS binding
  // docs): one cause fixes itself, the other never does. It stays a retried http_5xx (two more
  // sends over 6 s cost little; not retrying would lose a delivery to a passing origin error),
  // with the likely cause named. Certificate validation fails it outright (handshake.ts).
  if (status === 520) {
    return fail("http_5xx", status, ms,
      "Endpoint answered HTTP 520 (Cloudflare: unknown error). Likely cause: the endpoint's hostname is proxied by Cloudflare (orange cloud), " +
      "and Cloudflare answers 520 to any request that presents our client certificate to a proxied hostname. " +
      "Make the record DNS-only (grey cloud) or give the endpoint a DNS-only hostname; otherwise check the origin behind Cloudflare.");
  }
  const code: FailureCode = status >= 500 ? "http_5xx" : status >= 400 ? "http_4xx" : "http_3xx";
  const message = code === "http_3xx" ? `Endpoint answered HTTP ${status} (redirects are not followed)` : `Endpoint answered HTTP ${status}`;
  const outcome = fail(code, status, ms, message);
  if (status === 408 || status === 429) outcome.retryAfterMs = parseRetryAfter(headers.get("Retry-After"));
  return outcome;
}

export function classifyError(err: unknown, timedOut: boolean, limitMs: number, ms: number): Outcome {
  const text = String((err as Error)?.message ?? err).slice(0, MAX_ERROR_LENGTH);
  if (timedOut) return fail("timeout", null, ms, `No answer within ${Math.round(limitMs / 100) / 10} s`);
  if (/tls|ssl|certificate|handshake|x509|self.signed|CERT_/i.test(text)) return fail("tls", null, ms, `TLS failure: ${text}`);
  return fail("connection", null, ms, `Connection failed: ${text}`);
}

const fail = (errorCode: FailureCode, statusCode: number | null, ms: number, error: string): Outcome => ({
  ok: false,
  statusCode,
  responseTimeMs: ms,
  errorCode,
  error,
});

/**
 * A TLS handshake with a webhook's URL, as deliveries make it: through the mTLS binding (our
 * client certificate) where it exists. A Worker cannot handshake without a request, so this is a
 * HEAD request; any HTTP answer means the handshake succeeded. The failure classes are the ones
 * a person can act on: not reachable, TLS refused, timed out.
 */
import { USER_AGENT } from "../delivery/build-request";
import { classifyError, classifyResponse, exchange, timeoutMs } from "../delivery/send";
import { isProduction, type Env } from "../env";
import { checkWebhookUrl } from "../security/url-policy";

export type HandshakeErrorCode = "not_reachable" | "tls_refused" | "timeout" | "no_tls" | "url_forbidden";

export interface Handshake {
  ok: boolean;
  error: string | null;
  error_code: HandshakeErrorCode | null;
  status_code: number | null;
  response_time_ms: number | null;
  /** Whether our client certificate was presented: only through the mTLS binding (production). */
  client_certificate: boolean;
}

/** Cloudflare answers these itself when it cannot reach an origin behind it. */
const EDGE_UNREACHABLE = new Set([521, 523]);
const EDGE_TIMEOUT = 522;

type Verdict = Pick<Handshake, "ok" | "error" | "error_code">;

const ADVICE = {
  not_reachable: "Check the URL, that the server is running, and that its firewall accepts connections from the internet.",
  tls_refused:
    "Either your server's certificate is not trusted (it must chain to a public CA: a Worker does not trust private CAs), " +
    "or your server refused our client certificate (trust Nafsi's client CA, e.g. nginx ssl_client_certificate).",
  timeout: "Check that the server is up and that nothing between drops the connection.",
};
const failed = (error_code: HandshakeErrorCode, error: string): Verdict => ({ ok: false, error_code, error });

/** Any HTTP answer means the handshake went through, but for the edge's own TLS and reachability errors. */
export function verdictFromStatus(status: number, host: string): Verdict {
  if (classifyResponse(status, new Headers(), 0).errorCode === "tls") {
    return failed("tls_refused", `The TLS handshake with ${host} failed (HTTP ${status}). ${ADVICE.tls_refused}`);
  }
  if (EDGE_UNREACHABLE.has(status)) return failed("not_reachable", `${host} could not be reached (HTTP ${status}). ${ADVICE.not_reachable}`);
  if (status === EDGE_TIMEOUT) return failed("timeout", `The connection to ${host} timed out (HTTP ${status}). ${ADVICE.timeout}`);
  return { ok: true, error: null, error_code: null };
}

export function verdictFromError(err: unknown, timedOut: boolean, limitMs: number, host: string): Verdict {
  const o = classifyError(err, timedOut, limitMs, 0);
  const detail = (o.error ?? "").replace(/\.+$/, "");
  if (o.errorCode === "timeout") return failed("timeout", `${host} did not answer within ${limitMs / 1000} s. ${ADVICE.timeout}`);
  if (o.errorCode === "tls") return failed("tls_refused", `The TLS handshake with ${host} failed: ${detail}. ${ADVICE.tls_refused}`);
  return failed("not_reachable", `${host} could not be reached: ${detail}. ${ADVICE.not_reachable}`);
}

export async function testHandshake(env: Env, url: string): Promise<Handshake> {
  const base = { status_code: null, response_time_ms: null, client_certificate: Boolean(env.MTLS) };
  const urlProblem = checkWebhookUrl(url, { allowLocal: !isProduction(env) });
  if (urlProblem) return { ...base, ...failed("url_forbidden", `The webhook URL ${urlProblem}`) };
  const { host, protocol } = new URL(url);
  if (protocol !== "https:") {
    return { ...base, ...failed("no_tls", "The webhook URL uses http://, so there is no TLS handshake to test (allowed in local development only)") };
  }

  const limit = timeoutMs(env);
  return exchange<Handshake>(
    env,
    url,
    { method: "HEAD", headers: { "User-Agent": USER_AGENT } },
    limit,
    async (res, elapsed) => {
      await res.body?.cancel().catch(() => {});
      return { ...base, status_code: res.status, response_time_ms: elapsed(), ...verdictFromStatus(res.status, host) };
    },
    (err, timedOut, ms) => ({ ...base, response_time_ms: ms, ...verdictFromError(err, timedOut, limit, host) }),
  );
}

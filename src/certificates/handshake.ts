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

export type HandshakeErrorCode = "not_reachable" | "tls_refused" | "timeout" | "no_tls" | "url_forbidden" | "cloudflare_proxied";

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
/**
 * Cloudflare answers 520 to a Worker that presents a client certificate (the mTLS binding) to a
 * hostname it proxies: "mTLS for Workers cannot be used for requests made to a service that is a
 * proxied zone on Cloudflare" (Workers mTLS binding docs). The handshake with the edge went
 * through, but no delivery will reach the endpoint, so validation fails it.
 */
const EDGE_UNKNOWN = 520;

type Verdict = Pick<Handshake, "ok" | "error" | "error_code">;

const ADVICE = {
  not_reachable: "Check the URL, that the server is running, and that its firewall accepts connections from the internet.",
  tls_refused:
    "Either your server's certificate is not trusted (it must chain to a public CA: a Worker does not trust private CAs), " +
    "or your server refused our client certificate (trust Nafsi's client CA, e.g. nginx ssl_client_certificate).",
  timeout: "Check that the server is up and that nothing between drops the connection.",
  cloudflare_proxied:
    "Cloudflare does not let a client certificate through to a hostname it proxies (an orange-clouded DNS record), so our deliveries " +
    "cannot reach it either. Make the record DNS-only (grey cloud), or point the webhook at a DNS-only hostname of the same server; " +
    "to keep the proxy, drop the client-certificate requirement for this endpoint and verify our signature instead.",
  origin_error: "Cloudflare got no valid answer from the server behind it: check that the origin is up and answers HTTPS.",
};
const failed = (error_code: HandshakeErrorCode, error: string): Verdict => ({ ok: false, error_code, error });

/**
 * Any HTTP answer means the handshake went through, but for the edge's own TLS and reachability
 * errors, and its 520. `clientCertificate`: whether our certificate was presented (the binding).
 */
export function verdictFromStatus(status: number, host: string, clientCertificate = true): Verdict {
  if (status === EDGE_UNKNOWN) {
    return clientCertificate
      ? failed("cloudflare_proxied", `Cloudflare answered HTTP 520 for ${host}: the host is most likely behind Cloudflare's proxy. ${ADVICE.cloudflare_proxied}`)
      : failed("not_reachable", `Cloudflare answered HTTP 520 for ${host} (unknown error from its origin). ${ADVICE.origin_error}`);
  }
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
      return { ...base, status_code: res.status, response_time_ms: elapsed(), ...verdictFromStatus(res.status, host, base.client_certificate) };
    },
    (err, timedOut, ms) => ({ ...base, response_time_ms: ms, ...verdictFromError(err, timedOut, limit, host) }),
  );
}

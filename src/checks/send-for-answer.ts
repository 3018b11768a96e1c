/**
 * A sibling of delivery's send() for verification checks, which need the answer's body:
 * the same fetcher (the mTLS binding where it exists), no redirects, the same classification,
 * and one timeout that covers reading the answer too. Never throws.
 */
import type { OutgoingRequest } from "../delivery/build-request";
import type { Outcome } from "../delivery/retry-policy";
import { classifyError, classifyResponse, timeoutMs } from "../delivery/send";
import type { Env } from "../env";

/** A verdict is a few fields; more than this is not an answer to a check. */
export const MAX_ANSWER_BYTES = 256 * 1024;

export interface Answer {
  outcome: Outcome;
  /** The body of a 2xx answer; null otherwise, or when it was larger than MAX_ANSWER_BYTES. */
  body: string | null;
  tooLarge: boolean;
}

export async function sendForAnswer(env: Env, req: OutgoingRequest, limitMs = timeoutMs(env)): Promise<Answer> {
  const fetcher = env.MTLS ?? globalThis;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), limitMs);
  try {
    const res = await fetcher.fetch(req.url, { method: req.method, headers: req.headers, body: req.body, redirect: "manual", signal: controller.signal });
    if (res.status < 200 || res.status >= 300) {
      await res.body?.cancel().catch(() => {});
      return { outcome: classifyResponse(res.status, res.headers, elapsed()), body: null, tooLarge: false };
    }
    const { text, tooLarge } = await readLimited(res.body, MAX_ANSWER_BYTES);
    return { outcome: classifyResponse(res.status, res.headers, elapsed()), body: text, tooLarge };
  } catch (err) {
    return { outcome: classifyError(err, controller.signal.aborted, limitMs, elapsed()), body: null, tooLarge: false };
  } finally {
    clearTimeout(timer);
  }
}

async function readLimited(body: ReadableStream<Uint8Array> | null, max: number): Promise<{ text: string | null; tooLarge: boolean }> {
  if (!body) return { text: "", tooLarge: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return { text: null, tooLarge: true };
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return { text: new TextDecoder().decode(all), tooLarge: false };
}

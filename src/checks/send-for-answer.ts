/**
 * A sibling of delivery's send() for verification checks, which need the answer's body:
 * the same fetcher (the mTLS binding where it exists), no redirects, the same classification,
 * and one timeout that covers reading the answer too. Never throws.
 */
import type { OutgoingRequest } from "../delivery/build-request";
import type { Outcome } from "../delivery/retry-policy";
import { classifyError, classifyResponse, exchangeRequest, timeoutMs } from "../delivery/send";
import { readLimited } from "../lib/read-limited";
import type { Env } from "../env";

/** A verdict is a few fields; more than this is not an answer to a check. */
export const MAX_ANSWER_BYTES = 256 * 1024;

export interface Answer {
  outcome: Outcome;
  /** The body of a 2xx answer; null otherwise, or when it was larger than MAX_ANSWER_BYTES. */
  body: string | null;
  tooLarge: boolean;
}

export function sendForAnswer(env: Env, req: OutgoingRequest, limitMs = timeoutMs(env)): Promise<Answer> {
  return exchangeRequest(
    env,
    req,
    limitMs,
    async (res, elapsed) => {
      if (res.status < 200 || res.status >= 300) {
        await res.body?.cancel().catch(() => {});
        return { outcome: classifyResponse(res.status, res.headers, elapsed()), body: null, tooLarge: false };
      }
      const { bytes, tooLarge } = await readLimited(res.body, MAX_ANSWER_BYTES);
      const body = tooLarge ? null : new TextDecoder().decode(bytes);
      return { outcome: classifyResponse(res.status, res.headers, elapsed()), body, tooLarge };
    },
    (err, timedOut, ms) => ({ outcome: classifyError(err, timedOut, limitMs, ms), body: null, tooLarge: false }),
  );
}

/**
 * A sibling of delivery's send() for verification checks, which need the answer's body:
 * the same fetcher (the mTLS binding where it exists), no redirects, the same classification,
 * and one timeout that covers reading the answer too. Never throws.
 */
import type { OutgoingRequest } from "../delivery/build-request";
import type { Outcome } from "../delivery/retry-policy";
import { classifyError, classifyResponse, exchangeRequest, RESPONSE_HEAD_BYTES, responseHead, timeoutMs } from "../delivery/send";
import { signedHeaders } from "../delivery/signing-headers";
import { readHead } from "../lib/read-head";
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
  return exchangeRequest<Answer>(
    env,
    req,
    limitMs,
    async (res, elapsed) => {
      // Sent: the log keeps its signing headers and the head of whatever came back (send.ts).
      const sent = { signedHeaders: signedHeaders(req.headers) };
      if (res.status < 200 || res.status >= 300) {
        // Only the head the log shows is read; the rest is not wanted.
        const { head } = await readHead(res.body, RESPONSE_HEAD_BYTES, RESPONSE_HEAD_BYTES).catch(() => ({ head: new Uint8Array() }));
        return { outcome: { ...classifyResponse(res.status, res.headers, elapsed()), ...sent, response: responseHead(res.headers, head) }, body: null, tooLarge: false };
      }
      const { head, tooLarge } = await readHead(res.body, MAX_ANSWER_BYTES, MAX_ANSWER_BYTES);
      const body = tooLarge ? null : new TextDecoder().decode(head);
      const response = responseHead(res.headers, head.subarray(0, RESPONSE_HEAD_BYTES));
      return { outcome: { ...classifyResponse(res.status, res.headers, elapsed()), ...sent, response }, body, tooLarge };
    },
    (err, timedOut, ms) => ({ outcome: { ...classifyError(err, timedOut, limitMs, ms), signedHeaders: signedHeaders(req.headers) }, body: null, tooLarge: false }),
  );
}

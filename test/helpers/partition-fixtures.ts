/**
 * Fixtures for the DeliveryLog tests: a fresh partition (today, a random organisation and
 * webhook), deliveries and attempt writes with the usual values, and a way to read a refusal.
 */
import { env } from "cloudflare:workers";
import { newId } from "../../src/lib/ids";
import type { AttemptWrite, LogScope, NewDelivery } from "../../src/storage/contract";
import { DAY_MS, dayOf } from "../../src/storage/partitions";
import { deliveryLog } from "../../src/storage/stubs";
import { LATENCY_BOUNDS_MS } from "../../src/stats/latency";

export const bucketOf = (ms: number) => LATENCY_BOUNDS_MS.filter((b) => b <= ms).length;
export const noLatency = () => new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);

/**
 * The day of two hours ago (recent: the head's retention would drop an old day under the test),
 * from 01:00 UTC, so T0 is always at least an hour in the past: a run just after midnight once
 * put T0 ahead of Date.now() and a resend's "due now" became "due at creation".
 */
export const DAY = dayOf(Date.now() - 2 * 3_600_000);
export const T0 = DAY * DAY_MS + 3_600_000;

let n = 0;
export function partition(day = DAY) {
  const organisationId = 800_000 + Math.floor(Math.random() * 90_000) * 10 + (++n % 10);
  const webhookId = newId("wh");
  const scope: LogScope = { organisationId, webhookId, day };
  return { scope, log: deliveryLog(env, organisationId, webhookId, day) };
}

export const delivery = (at: number, over: Partial<NewDelivery> = {}): NewDelivery => ({
  id: newId("dlv", at),
  event_id: newId("evt", at),
  event: "verification.completed",
  revision_id: "rev_first",
  status: "pending",
  created_at: at,
  ...over,
});

/** The message of a call's error (caught here, so the pool does not report it as unhandled). */
export const refused = (p: Promise<unknown>) => p.then(() => "resolved", (err: unknown) => String(err));

export const write = (d: { id: string }, attempt: number, status: AttemptWrite["status"], at: number, over: Partial<AttemptWrite> = {}): AttemptWrite => ({
  id: newId("att", at),
  delivery_id: d.id,
  attempt,
  status,
  response_code: status === "success" ? 200 : status === "skipped" ? null : 500,
  response_time_ms: status === "skipped" ? null : 120,
  error_code: status === "success" ? null : status === "skipped" ? "paused" : "http_error",
  error: status === "success" ? null : status === "skipped" ? "The webhook was paused" : "HTTP 500",
  created_at: at,
  next_attempt_at: status === "retrying" ? at + 2_000 : null,
  revision_id: status === "skipped" ? null : "rev_first",
  signed_headers: status === "skipped" ? null : '[["webhook-signature","v1,••••"]]',
  response_content_type: status === "success" ? "text/plain" : null,
  response_body: status === "success" ? "ok" : null,
  ...over,
});

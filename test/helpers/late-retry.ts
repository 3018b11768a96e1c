/**
 * A delivery whose retry is logged on a later day than the delivery was created: its attempts
 * stay in the partition of its creation day, so one partition's rows interleave with a later
 * one's. Written through the partition's own calls, as the pipeline writes them (accept, then
 * record attempt 1 retrying and attempt 2 a success), and answered as rows of the log.
 */
import { env } from "cloudflare:workers";
import { newId } from "../../src/lib/ids";
import type { AttemptWrite } from "../../src/storage/contract";
import { dayOf } from "../../src/storage/partitions";
import { deliveryLog } from "../../src/storage/stubs";
import type { Seeded } from "./seed-log";

const attempt = (a: Seeded, next: number | null): AttemptWrite => ({
  id: a.id, delivery_id: a.delivery_id, attempt: a.attempt, status: a.status as AttemptWrite["status"], response_code: a.response_code,
  response_time_ms: a.response_time_ms, error_code: a.error_code, error: a.error, created_at: a.created_at, next_attempt_at: next,
  revision_id: "rev_late", signed_headers: null, response_content_type: null, response_body: null,
});

export async function logLateRetry(organisationId: number, webhookId: string, createdAt: number, retriedAt: number): Promise<Seeded[]> {
  const day = dayOf(createdAt);
  if (dayOf(retriedAt) <= day) throw new Error("the retry must be on a later day than the delivery");
  const scope = { organisationId, webhookId, day };
  const log = deliveryLog(env, organisationId, webhookId, day);
  const deliveryId = newId("dlv", createdAt);
  const common = { delivery_id: deliveryId, event_id: newId("evt", createdAt), event: "verification.completed" as const, test: 0 };
  const first: Seeded = {
    ...common, id: newId("att", createdAt), attempt: 1, status: "retrying", response_code: 503, response_time_ms: 40,
    error_code: "http_5xx", error: "HTTP 503", created_at: createdAt,
  };
  const second: Seeded = {
    ...common, id: newId("att", retriedAt), attempt: 2, status: "success", response_code: 200, response_time_ms: 30,
    error_code: null, error: null, created_at: retriedAt,
  };
  const accepted = await log.accept(scope, [{ id: deliveryId, event_id: common.event_id, event: common.event, revision_id: "rev_late", status: "pending", created_at: createdAt }]);
  const won = [...(await log.record(scope, [attempt(first, retriedAt)])), ...(await log.record(scope, [attempt(second, null)]))];
  if (accepted.length !== 1 || won.length !== 2) throw new Error(`late retry of ${deliveryId} not logged: accepted ${accepted.length}, recorded ${won.length}`);
  return [first, second];
}

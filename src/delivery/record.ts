import type { Env } from "../env";
import { newId } from "../lib/ids";
import { retryTransient } from "../lib/transient";
import type { AttemptWrite, NewDelivery } from "../storage/contract";
import { dayOfDelivery, timeOfId } from "../storage/partitions";
import { deliveryLog } from "../storage/stubs";
import { fault } from "./faults";
import type { DeliveryRow } from "./load";
import type { Outcome } from "./retry-policy";

export interface AttemptResult {
  row: DeliveryRow;
  attempt: number;
  status: "success" | "retrying" | "failed" | "skipped";
  outcome: Outcome | null;
  startedAt: number;
  nextAttemptAt: number | null;
}

/** What the log keeps of one result (src/durable/delivery-log/ writes it). */
function toWrite(r: AttemptResult): AttemptWrite {
  return {
    id: newId("att", r.startedAt),
    delivery_id: r.row.id,
    attempt: r.attempt,
    status: r.status,
    response_code: r.outcome?.statusCode ?? null,
    response_time_ms: r.outcome?.responseTimeMs ?? null,
    error_code: r.outcome?.errorCode ?? (r.status === "skipped" ? "paused" : null),
    error: r.outcome?.error ?? (r.status === "skipped" ? "The webhook was paused" : null),
    created_at: r.startedAt,
    next_attempt_at: r.nextAttemptAt,
    // A pending delivery's revision does not change (resend.ts moves ended ones only): the one this attempt was sent with.
    revision_id: r.status === "skipped" ? null : r.row.revision_id,
    signed_headers: r.outcome?.signedHeaders ?? null,
    response_content_type: r.outcome?.response?.contentType ?? null,
    response_body: r.outcome?.response?.body ?? null,
  };
}

/** The deliveries of first attempts that are not stored yet: the partition creates them with their attempt. */
const fresh = (results: AttemptResult[]): NewDelivery[] =>
  results
    .filter((r) => !r.row.stored)
    .map(({ row }) => ({ id: row.id, event_id: row.event_id, event: row.event, revision_id: row.revision_id, status: "pending", created_at: timeOfId(row.id) }));

/**
 * Writes a batch of attempt results: one call per partition (webhook and day), in parallel.
 * Each partition logs an attempt only if its delivery is still in the state the attempt started
 * from (pending, attempts = attempt - 1), and moves the delivery with it in the same transaction,
 * so a duplicate message can send twice but never logs or counts twice. A call is idempotent on
 * the attempt ids, so one that failed (and may have committed) is simply made again. Answers,
 * per result, whether this writer's move won.
 */
export async function recordAttempts(env: Env, results: AttemptResult[]): Promise<boolean[]> {
  if (results.length === 0) return [];
  const writes = results.map(toWrite);
  const groups = new Map<string, number[]>();
  results.forEach((r, i) => {
    const key = `${r.row.organisation_id}:${r.row.webhook_id}:${dayOfDelivery(r.row.id)}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const won = new Set<string>();
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      const { organisation_id: organisationId, webhook_id: webhookId, id } = results[indexes[0]!]!.row;
      const day = dayOfDelivery(id);
      const ids = await retryTransient(() => {
        fault("storage");
        return deliveryLog(env, organisationId, webhookId, day).record({ organisationId, webhookId, day }, indexes.map((i) => writes[i]!), fresh(indexes.map((i) => results[i]!)));
      });
      for (const d of ids) won.add(d);
    }),
  );
  return results.map((r) => won.has(r.row.id));
}

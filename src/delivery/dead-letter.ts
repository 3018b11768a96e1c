import type { Env } from "../env";
import { afterFailure } from "./effects";
import { loadDeliveries } from "./load";
import type { QueueMessage } from "./messages";
import { recordAttempts } from "./record";

/**
 * Messages the consumer crashed on until the queue gave up. Their deliveries end as failed,
 * logged with an `internal` error and announced, so that an accepted event is never silently gone.
 */
export async function consumeDeadLetters(batch: readonly Message<QueueMessage>[], env: Env): Promise<void> {
  const ids = batch.flatMap((m) => (m.body.kind === "delivery" ? [m.body.delivery_id] : []));
  const rows = await loadDeliveries(env, [...new Set(ids)]);
  const now = Date.now();
  const results = [...rows.values()]
    .filter((row) => row.status === "pending")
    .map((row) => ({
      row,
      attempt: row.attempts + 1,
      status: "failed" as const,
      outcome: { ok: false, statusCode: null, responseTimeMs: null, errorCode: "internal" as const, error: "The delivery could not be processed; it was given up after repeated internal errors" },
      startedAt: now,
      nextAttemptAt: null,
    }));
  const won = await recordAttempts(env, results);
  await Promise.all(
    results.filter((_, i) => won[i]).map((r) => afterFailure(env, { row: r.row, attempts: r.attempt, errorCode: "internal", responseCode: null })),
  );
  for (const m of batch) m.ack();
}

import type { Env } from "../env";
import { redeliveryDelaySeconds } from "../lib/transient";
import { afterFailure, lastAttempt } from "./effects";
import { loadDeliveries } from "./load";
import type { QueueMessage } from "./messages";
import { unpackBatch } from "./packs";
import { recordAttempts } from "./record";

const GAVE_UP = "The delivery could not be processed; it was given up after repeated internal errors";

/**
 * Messages the consumer failed on until the queue gave up (redelivered with growing delays, so
 * this is minutes of trouble, not a blip). Nothing accepted is silently gone:
 * - a delivery still pending ends failed, logged with an `internal` error and announced; it does
 *   not count toward pausing the webhook, whose endpoint was never the problem;
 * - a delivery whose last attempt was recorded as failed gets its after-effects again (its
 *   `webhook.delivery.failed` announcement may be what kept failing); they are idempotent.
 * If this handler fails too, its batch comes back later (max_retries of the dead-letter queue),
 * and its partition's sweep still finds any delivery left pending.
 */
export async function consumeDeadLetters(batch: readonly Message<QueueMessage>[], env: Env): Promise<void> {
  try {
    const refs = unpackBatch(batch).flatMap((m) => (typeof m.body.organisation_id === "number" ? [m.body] : []));
    const rows = [...(await loadDeliveries(env, refs)).values()];
    const now = Date.now();
    const results = rows
      .filter((row) => row.status === "pending")
      .map((row) => ({
        row,
        attempt: row.attempts + 1,
        status: "failed" as const,
        outcome: { ok: false, statusCode: null, responseTimeMs: null, errorCode: "internal" as const, error: GAVE_UP },
        startedAt: now,
        nextAttemptAt: null,
      }));
    const won = await recordAttempts(env, results);
    await Promise.all([
      ...results
        .filter((_, i) => won[i])
        .map((r) => afterFailure(env, { row: r.row, attempts: r.attempt, errorCode: "internal", responseCode: null }, { countTowardPause: false })),
      ...rows
        .filter((row) => row.status === "failed")
        .map(async (row) => {
          const a = await lastAttempt(env, row);
          // An internal end was not the endpoint's failure; any other was, and is counted once.
          const internal = a?.error_code === "internal";
          await afterFailure(env, { row, attempts: row.attempts, errorCode: a?.error_code ?? null, responseCode: a?.response_code ?? null }, { countTowardPause: !internal });
        }),
    ]);
    for (const m of batch) m.ack();
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "dead letters failed; handed back", error: String(err).slice(0, 500) }));
    const base = env.REDELIVERY_BASE_DELAY_S === undefined ? undefined : Number(env.REDELIVERY_BASE_DELAY_S);
    for (const m of batch) m.retry({ delaySeconds: redeliveryDelaySeconds(m.attempts, base) });
  }
}

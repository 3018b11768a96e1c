/**
 * The delivery pipeline, one queue batch at a time, in the order data flows:
 *
 *   load (one read) → per message, concurrently: sign → send → decide
 *   → record (one write) → enqueue retries → after-effects (announce, Durable Object) → ack
 *
 * A crash anywhere before the ack redelivers the message: the attempt may be sent again (same
 * X-Delivery-ID, same bytes) but is logged and counted once (see record.ts).
 */
import type { Env } from "../env";
import { attemptDelivery, RevisionCache } from "./attempt";
import { afterFailure, afterSuccess, lastAttempt } from "./effects";
import { Timing } from "../lib/server-timing";
import { enqueueDeliveries } from "./enqueue";
import { fault } from "./faults";
import { loadDeliveries, type DeliveryRow } from "./load";
import type { DeliveryMessage } from "./messages";
import { recordAttempts, type AttemptResult } from "./record";
import { decide } from "./retry-policy";
import { Signer } from "./sign";

export async function consumeDeliveries(batch: readonly Message<DeliveryMessage>[], env: Env): Promise<void> {
  const clock = new Timing();
  const rows = await clock.measure("load", () => loadDeliveries(env, [...new Set(batch.map((m) => m.body.delivery_id))]));
  const signer = new Signer();
  const revisions = new RevisionCache(env.SECRET_ENCRYPTION_KEY);

  const claimed = new Set<string>();
  const stale: { row: DeliveryRow }[] = [];
  const planned = batch.map((msg) => {
    const row = rows.get(msg.body.delivery_id);
    const key = `${msg.body.delivery_id}:${msg.body.attempt}`;
    if (!row || claimed.has(key)) return null; // deleted webhook, or a duplicate in this batch
    claimed.add(key);
    if (row.status !== "pending" || row.attempts !== msg.body.attempt - 1) {
      if (row.attempts === msg.body.attempt && (row.status === "failed" || row.status === "success")) stale.push({ row });
      return null;
    }
    return { row, attempt: msg.body.attempt };
  });

  const results: AttemptResult[] = await clock.measure("send", () => Promise.all(
    planned.filter((p) => p !== null).map(async ({ row, attempt }): Promise<AttemptResult> => {
      const startedAt = Date.now();
      if (row.webhook_status !== "active") {
        return { row, attempt, status: "skipped", outcome: null, startedAt, nextAttemptAt: null };
      }
      fault("before-send");
      const outcome = await attemptDelivery(env, signer, revisions, row);
      const decision = decide(outcome, attempt);
      const nextAttemptAt = decision.status === "retrying" ? Date.now() + decision.delayMs : null;
      return { row, attempt, status: decision.status, outcome, startedAt, nextAttemptAt };
    }),
  ));

  fault("after-send");
  const won = await clock.measure("record", () => recordAttempts(env, results));
  fault("after-record");
  const mine = results.filter((_, i) => won[i]);

  const retries = new Map<number, { delivery_id: string; attempt: number }[]>();
  for (const r of mine) {
    if (r.status !== "retrying") continue;
    // Grouped by whole seconds of delay: one sendBatch per distinct delay.
    const delay = Math.max(0, Math.ceil((r.nextAttemptAt! - Date.now()) / 1000) * 1000);
    const list = retries.get(delay) ?? [];
    list.push({ delivery_id: r.row.id, attempt: r.attempt + 1 });
    retries.set(delay, list);
  }
  await Promise.all([...retries].map(([delay, items]) => enqueueDeliveries(env, items, delay)));

  const effects: Promise<void>[] = [];
  const failedWebhooks = new Set(mine.filter((r) => r.status === "failed").map((r) => r.row.webhook_id));
  // One reset per webhook per batch is enough, however many of its deliveries succeeded.
  const resetWebhooks = new Set<string>();
  for (const r of mine) {
    if (r.status === "failed") {
      effects.push(afterFailure(env, { row: r.row, attempts: r.attempt, errorCode: r.outcome?.errorCode ?? null, responseCode: r.outcome?.statusCode ?? null }));
    } else if (r.status === "success" && !resetWebhooks.has(r.row.webhook_id) && ((r.row.failure_streak ?? 0) > 0 || failedWebhooks.has(r.row.webhook_id))) {
      resetWebhooks.add(r.row.webhook_id);
      effects.push(afterSuccess(env, r.row));
    }
  }
  for (const { row } of stale) {
    effects.push(
      row.status === "failed"
        ? lastAttempt(env, row.id).then((a) =>
            afterFailure(env, { row, attempts: row.attempts, errorCode: a?.error_code ?? null, responseCode: a?.response_code ?? null }),
          )
        : (row.failure_streak ?? 0) > 0 ? afterSuccess(env, row) : Promise.resolve(),
    );
  }
  await clock.measure("effects", () => Promise.all(effects));
  // One line per batch: where a batch's time went (what `npm run bench` reads to profile).
  console.log(JSON.stringify({ level: "info", msg: "delivery batch", messages: batch.length, attempts: results.length, timing: clock.header() }));
  fault("before-ack");
}

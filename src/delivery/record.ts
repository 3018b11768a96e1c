import type { Env } from "../env";
import { newId } from "../lib/ids";
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

/**
 * Writes a batch of attempt results in one D1 transaction. Each delivery moves only from the
 * state this attempt started from (status pending, attempts = attempt - 1), and its log row is
 * written only if that move happened: a duplicate message can send twice, but never logs or
 * counts twice. A skip does not use up an attempt (a replay gets all that were left).
 * Statistics follow from the log rows (trigger attempts_count).
 * Answers, per result, whether this writer's move won.
 */
export async function recordAttempts(env: Env, results: AttemptResult[]): Promise<boolean[]> {
  if (results.length === 0) return [];
  const now = Date.now();
  const stmts: D1PreparedStatement[] = [];
  for (const r of results) {
    const deliveryStatus = r.status === "retrying" ? "pending" : r.status;
    stmts.push(
      env.DB.prepare(
        "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'pending' AND attempts = ?",
      ).bind(deliveryStatus, r.status === "skipped" ? r.attempt - 1 : r.attempt, r.nextAttemptAt, now, r.row.id, r.attempt - 1),
      env.DB.prepare(
        `INSERT INTO attempts (id, organisation_id, webhook_id, delivery_id, event_id, event, attempt, status, response_code, response_time_ms, error_code, error, test, created_at)
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ? WHERE changes() = 1`,
      ).bind(
        newId("att", r.startedAt),
        r.row.organisation_id,
        r.row.webhook_id,
        r.row.id,
        r.row.event_id,
        r.row.event,
        r.attempt,
        r.status,
        r.outcome?.statusCode ?? null,
        r.outcome?.responseTimeMs ?? null,
        r.outcome?.errorCode ?? (r.status === "skipped" ? "paused" : null),
        r.outcome?.error ?? (r.status === "skipped" ? "The webhook was paused" : null),
        r.startedAt,
      ),
    );
  }
  const res = await env.DB.batch(stmts);
  return results.map((_, i) => res[i * 2]!.meta.changes === 1);
}

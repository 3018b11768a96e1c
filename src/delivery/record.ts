import type { Env } from "../env";
import { newId } from "../lib/ids";
import { retryTransient } from "../lib/transient";
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

/** D1 binds at most 100 parameters per statement: 8 log rows per statement, 20 moves. */
const LOG_COLUMNS = 12;
const MOVE_COLUMNS = 5;
const chunk = <T>(xs: T[], size: number) => Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size));

/**
 * Writes a batch of attempt results in one D1 transaction, with multi-row statements (a few per
 * batch, not two per message: locally every statement costs the worker's own thread).
 *
 * First the log rows, each only if its delivery is still in the state this attempt started from
 * (status pending, attempts = attempt - 1); then each delivery moves on, only if its log row was
 * just written. So a duplicate message can send twice, but never logs or counts twice. A skip
 * does not use up an attempt (a replay gets all that were left). Statistics follow from the log
 * rows (trigger attempts_count). Answers, per result, whether this writer's move won.
 */
export async function recordAttempts(env: Env, results: AttemptResult[]): Promise<boolean[]> {
  if (results.length === 0) return [];
  const now = Date.now();
  const rows = results.map((r) => ({ r, attemptId: newId("att", r.startedAt) }));
  const stmts: D1PreparedStatement[] = [];

  for (const part of chunk(rows, Math.floor(100 / LOG_COLUMNS))) {
    stmts.push(
      env.DB.prepare(
        `WITH v(attempt_id, delivery_id, attempt, status, response_code, response_time_ms, error_code, error, created_at, response_content_type, response_body, signed_headers) AS (VALUES ${part.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")})
         INSERT INTO attempts (id, organisation_id, webhook_id, delivery_id, event_id, event, attempt, status, response_code, response_time_ms, error_code, error, test, created_at, revision_id, response_content_type, response_body, signed_headers)
         SELECT v.attempt_id, d.organisation_id, d.webhook_id, d.id, d.event_id, d.event, v.attempt, v.status, v.response_code, v.response_time_ms, v.error_code, v.error, 0, v.created_at,
                -- A pending delivery's revision does not change (resend.ts moves ended ones only): the one this attempt was sent with.
                d.revision_id, v.response_content_type, v.response_body, v.signed_headers
           FROM v JOIN deliveries d ON d.id = v.delivery_id AND d.status = 'pending' AND d.attempts = v.attempt - 1
         RETURNING delivery_id`,
      ).bind(
        ...part.flatMap(({ r, attemptId }) => [
          attemptId,
          r.row.id,
          r.attempt,
          r.status,
          r.outcome?.statusCode ?? null,
          r.outcome?.responseTimeMs ?? null,
          r.outcome?.errorCode ?? (r.status === "skipped" ? "paused" : null),
          r.outcome?.error ?? (r.status === "skipped" ? "The webhook was paused" : null),
          r.startedAt,
          r.outcome?.response?.contentType ?? null,
          r.outcome?.response?.body ?? null,
          r.outcome?.signedHeaders ?? null,
        ]),
      ),
    );
  }
  const logStatements = stmts.length;

  for (const part of chunk(rows, Math.floor(100 / MOVE_COLUMNS))) {
    stmts.push(
      env.DB.prepare(
        `WITH v(attempt_id, delivery_id, status, attempts, next_attempt_at) AS (VALUES ${part.map(() => "(?, ?, ?, ?, ?)").join(", ")})
         UPDATE deliveries SET status = v.status, attempts = v.attempts, next_attempt_at = v.next_attempt_at, updated_at = ${now}
           FROM v WHERE deliveries.id = v.delivery_id AND EXISTS (SELECT 1 FROM attempts a WHERE a.id = v.attempt_id)`,
      ).bind(
        ...part.flatMap(({ r, attemptId }) => [
          attemptId,
          r.row.id,
          r.status === "retrying" ? "pending" : r.status,
          r.status === "skipped" ? r.attempt - 1 : r.attempt,
          r.nextAttemptAt,
        ]),
      ),
    );
  }

  // Safe to try again on a transient error: every row is conditional on the state this attempt
  // started from. But a try that failed may still have committed, and then the next one writes
  // nothing: after a retry, our own attempt ids in the log tell which moves were ours.
  let retried = false;
  const res = await retryTransient(() => {
    fault("storage");
    return env.DB.batch<{ delivery_id: string }>(stmts);
  }, () => void (retried = true));
  const won = new Set(res.slice(0, logStatements).flatMap((x) => x.results.map((row) => row.delivery_id)));
  if (retried) for (const id of await ownAttempts(env, rows.map((r) => r.attemptId))) won.add(id);
  return results.map((r) => won.has(r.row.id));
}

/** The deliveries whose attempt rows with these ids exist. */
async function ownAttempts(env: Env, attemptIds: string[]): Promise<string[]> {
  const found = await retryTransient(() =>
    env.DB.batch<{ delivery_id: string }>(
      chunk(attemptIds, 90).map((ids) => env.DB.prepare(`SELECT delivery_id FROM attempts WHERE id IN (${ids.map(() => "?").join(",")})`).bind(...ids)),
    ),
  );
  return found.flatMap((r) => r.results.map((x) => x.delivery_id));
}

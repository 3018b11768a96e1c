/** Direct reads of D1 for assertions the API does not (yet) expose. */
import { env } from "cloudflare:workers";

export interface AttemptRecord {
  delivery_id: string;
  event_id: string;
  event: string;
  attempt: number;
  status: string;
  response_code: number | null;
  response_time_ms: number | null;
  error_code: string | null;
  error: string | null;
  created_at: number;
}

export async function attemptsOf(webhookId: string): Promise<AttemptRecord[]> {
  const { results } = await env.DB.prepare(
    "SELECT delivery_id, event_id, event, attempt, status, response_code, response_time_ms, error_code, error, created_at FROM attempts WHERE webhook_id = ? ORDER BY created_at, attempt",
  )
    .bind(webhookId)
    .all<AttemptRecord>();
  return results;
}

export async function deliveriesOf(webhookId: string) {
  const { results } = await env.DB.prepare("SELECT id, event_id, event, status, attempts FROM deliveries WHERE webhook_id = ? ORDER BY created_at")
    .bind(webhookId)
    .all<{ id: string; event_id: string; event: string; status: string; attempts: number }>();
  return results;
}

export async function count(table: string, where = "1 = 1", ...binds: unknown[]): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).bind(...binds).first<{ n: number }>();
  return row!.n;
}

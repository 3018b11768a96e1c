import type { Env } from "../env";
import { retryTransient } from "../lib/transient";
import { fault } from "./faults";

/** Everything one attempt needs, read for a whole batch in one query. */
export interface DeliveryRow {
  id: string;
  organisation_id: number;
  webhook_id: string;
  revision_id: string;
  event_id: string;
  event: string;
  status: "pending" | "success" | "failed" | "skipped";
  attempts: number;
  body: string;
  url: string;
  method: string;
  headers_enc: string;
  secret_enc: string;
  /** The revision's previous secret during a rotation's overlap, and when it stops signing. */
  previous_secret_enc: string | null;
  previous_secret_expires_at: number | null;
  webhook_status: "inactive" | "active" | "paused" | null;
  failure_streak: number | null;
  /** A resent delivery ends after this attempt, whatever comes of it (resend.ts). */
  last_attempt: number | null;
  /** Set while the webhook is in the slow lane (lanes.ts). */
  slow_since: number | null;
  /** The revision's retry_schedule (JSON): a pending delivery keeps the schedule it was created with. */
  retry_schedule: string;
}

/** D1 binds at most 100 parameters per statement. */
const CHUNK = 90;

export async function loadDeliveries(env: Env, ids: string[]): Promise<Map<string, DeliveryRow>> {
  const out = new Map<string, DeliveryRow>();
  const stmts: D1PreparedStatement[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    stmts.push(
      env.DB.prepare(
        `SELECT d.id, d.organisation_id, d.webhook_id, d.revision_id, d.event_id, d.event, d.status, d.attempts, d.last_attempt,
                e.body, r.url, r.method, r.retry_schedule, r.headers_enc, r.secret_enc, r.previous_secret_enc, r.previous_secret_expires_at, w.status AS webhook_status, w.failure_streak, w.slow_since
           FROM deliveries d
           JOIN events e ON e.organisation_id = d.organisation_id AND e.id = d.event_id
           JOIN webhook_revisions r ON r.id = d.revision_id
           LEFT JOIN webhooks w ON w.id = d.webhook_id AND w.organisation_id = d.organisation_id
          WHERE d.id IN (${chunk.map(() => "?").join(",")})`,
      ).bind(...chunk),
    );
  }
  if (stmts.length === 0) return out;
  // A read: safe to try again on a transient error.
  const results = await retryTransient(() => {
    fault("storage");
    return env.DB.batch<DeliveryRow>(stmts);
  });
  for (const res of results) for (const row of res.results) out.set(row.id, row);
  return out;
}

/** Reads of single deliveries: by primary key, their attempts by the keys the delivery keeps. */
import { and, asc, eq, inArray, or } from "drizzle-orm";
import type { AttemptDetailRow, DeliveryState, LogScope } from "../../storage/contract";
import type { Log } from "./context";
import { keptDetail } from "./first-attempt";
import { unpackHeaders } from "./packed-headers";
import { unpackRevision } from "./revision";
import { attempts, deliveries, type DeliveryRow } from "./schema";
import { keysOf, toState, type AttemptKey } from "./state";

/** A Durable Object's SQLite binds at most 100 parameters per statement. */
const IDS_PER_STATEMENT = 90;
const KEYS_PER_STATEMENT = 45;
const chunks = <T>(xs: T[], size: number) => Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size));

export function loadDeliveries(log: Log, scope: LogScope, ids: string[]): DeliveryState[] {
  return chunks([...new Set(ids)], IDS_PER_STATEMENT).flatMap((part) =>
    log.db.select().from(deliveries).where(inArray(deliveries.id, part)).all().map((r) => toState(scope, r)),
  );
}

/**
 * The attempts at these keys, in attempt order (then time: a skip and the attempt a replay made
 * share a number), their revision and signing headers unpacked against the delivery's row.
 */
function attemptsAt(log: Log, d: DeliveryRow, all: AttemptKey[]): AttemptDetailRow[] {
  // A first attempt the row keeps has no row of its own (first-attempt.ts).
  const kept = keptDetail(d);
  const keys = kept ? all.slice(1) : all;
  const rows = chunks(keys, KEYS_PER_STATEMENT).flatMap((part) =>
    log.db
      .select({
        id: attempts.id, attempt: attempts.attempt, status: attempts.status, response_code: attempts.response_code,
        response_time_ms: attempts.response_time_ms, response_content_type: attempts.response_content_type, response_body: attempts.response_body,
        error_code: attempts.error_code, error: attempts.error, created_at: attempts.created_at, signed_headers: attempts.signed_headers,
        revision_id: attempts.revision_id,
      })
      .from(attempts)
      .where(or(...part.map(([at, id]) => and(eq(attempts.created_at, at), eq(attempts.id, id)))))
      .orderBy(asc(attempts.attempt), asc(attempts.created_at))
      .all(),
  );
  return [...(kept ? [kept] : []), ...rows.map((r) => ({ ...r, revision_id: unpackRevision(r.revision_id, d), signed_headers: unpackHeaders(r.signed_headers, d.id, r.created_at) }))]
    .sort((a, b) => a.attempt - b.attempt || a.created_at - b.created_at);
}

export function deliveryDetail(log: Log, scope: LogScope, deliveryId: string): { delivery: DeliveryState; attempts: AttemptDetailRow[] } | null {
  const row = log.db.select().from(deliveries).where(eq(deliveries.id, deliveryId)).get();
  if (!row) return null;
  return { delivery: toState(scope, row), attempts: attemptsAt(log, row, keysOf(row)) };
}

/**
 * The delivery's latest attempt (the D1 version took the highest attempt number): the last key
 * it keeps, since attempts are logged in order and their numbers never go down.
 */
export function lastAttemptOf(log: Log, deliveryId: string): { attempt: number; error_code: string | null; response_code: number | null } | null {
  const row = log.db
    .select({ attempt_keys: deliveries.attempt_keys, first_response_code: deliveries.first_response_code })
    .from(deliveries)
    .where(eq(deliveries.id, deliveryId))
    .get();
  const keys = row ? keysOf(row) : [];
  const last = keys.at(-1);
  if (!last) return null;
  if (keys.length === 1 && row!.first_response_code !== null) return { attempt: 1, error_code: null, response_code: row!.first_response_code };
  const found = log.db
    .select({ attempt: attempts.attempt, error_code: attempts.error_code, response_code: attempts.response_code })
    .from(attempts)
    .where(and(eq(attempts.created_at, last[0]), eq(attempts.id, last[1])))
    .get();
  return found ?? null;
}

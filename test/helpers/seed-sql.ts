/**
 * Many delivery attempts at once, for the log, stats and export tests (and the benchmark): row i
 * follows a fixed pattern that `seededAttempt(i)` gives in JavaScript, so tests can work out what
 * a filter must answer, and that `attemptsSql` generates inside SQLite (a recursive CTE, one
 * statement, no bound parameters) into a DeliveryLog partition's attempts table
 * (src/durable/delivery-log/migrations/0000_init.ts), and `deliveriesSql` the delivery row of
 * each (an attempt row keeps only what its delivery's does not: the event id, event and test
 * flag the log shows are the delivery's; a prompt first success is kept in it, KEPT below).
 * test/helpers/seed-log.ts runs them.
 *
 *   created_at   start + floor(i / 2) * stepMs   (pairs share a millisecond: ties for the cursor)
 *   status       i % 10: 2, 6 failed · 4 retrying · 7 skipped · others success
 *   event        i % 3: verification.completed · verification.failed · units.low_balance
 *   test         1 when i % 25 = 24
 *
 * Delivery ids carry their creation time (as src/lib/ids.ts ids do), so the partition of a
 * seeded delivery is found from its id like any other (src/storage/partitions.ts, dayOfDelivery).
 */
export interface SeedSpec {
  organisationId: number;
  webhookId: string;
  /** Tells apart the ids of separate seedings of one webhook. */
  tag: string;
  /** Rows first..first+count-1 of the pattern. */
  first?: number;
  count: number;
  start: number;
  stepMs?: number;
  /** Extra characters in the error of every unsuccessful attempt (to make big exports). */
  errorPad?: number;
}

export const SEED_EVENTS = ["verification.completed", "verification.failed", "units.low_balance"] as const;

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const statusOf = (i: number) => (i % 10 === 2 || i % 10 === 6 ? "failed" : i % 10 === 4 ? "retrying" : i % 10 === 7 ? "skipped" : "success");
const ERROR_HEAD = '=HYPERLINK("x"), HTTP 500 ';

export const createdAtOf = (i: number, s: SeedSpec) => s.start + Math.floor(i / 2) * (s.stepMs ?? 1000);

/** The 10 characters of time of src/lib/ids.ts. */
function time10(ms: number): string {
  let out = "";
  let t = ms;
  for (let k = 0; k < 10; k++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

/** The same in SQL, of an integer expression. */
const time10Sql = (t: string) =>
  Array.from({ length: 10 }, (_, k) => `substr('${ALPHABET}', ((${t} >> ${5 * (9 - k)}) & 31) + 1, 1)`).join(" || ");

export function seededAttempt(i: number, s: SeedSpec) {
  const status = statusOf(i);
  const pad8 = String(i).padStart(8, "0");
  const created_at = createdAtOf(i, s);
  return {
    id: `att_${s.tag}_${pad8}`,
    delivery_id: `dlv_${time10(created_at)}_${s.tag}_${pad8}`,
    event_id: `evt_${s.tag}_${pad8}`,
    event: SEED_EVENTS[i % 3]! as string,
    attempt: 1 + (Math.floor(i / 3) % 3),
    status,
    response_code: status === "success" ? 200 : status === "skipped" ? null : status === "failed" ? 500 : 503,
    response_time_ms: status === "skipped" ? null : (i * 37) % 2000,
    error_code: status === "success" ? null : status === "skipped" ? "paused" : "http_5xx",
    error: status === "success" ? null : ERROR_HEAD + "x".repeat(s.errorPad ?? 0),
    test: i % 25 === 24 ? 1 : 0,
    created_at,
  };
}

const num = (n: number) => {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return String(n);
};

/** Rows from..to of the pattern with their time and status, as the CTE both INSERTs select from. */
function rowsCte(s: SeedSpec, from: number, to: number): string {
  if (!/^\w+$/.test(s.tag)) throw new Error("the tag must be word characters");
  return `WITH RECURSIVE n(i) AS (SELECT ${num(from)} UNION ALL SELECT i + 1 FROM n WHERE i < ${num(to)}),
r(i, t, status) AS (SELECT i, ${num(s.start)} + (i / 2) * ${num(s.stepMs ?? 1000)},
  CASE WHEN i % 10 IN (2, 6) THEN 'failed' WHEN i % 10 = 4 THEN 'retrying' WHEN i % 10 = 7 THEN 'skipped' ELSE 'success' END FROM n)`;
}

/**
 * A successful attempt 1 made at its delivery's creation is kept in the delivery's row, as the
 * service keeps a prompt first success (src/durable/delivery-log/first-attempt.ts): most of a
 * real log is such rows, so a seeded log has them too (a fifth of its rows).
 */
const KEPT = "(status = 'success' AND (i / 3) % 3 = 0)";

const deliveryIdSql = (s: SeedSpec) => `'dlv_' || ${time10Sql("t")} || printf('_${s.tag}_%08d', i)`;

/**
 * Rows from..to (both included) of the pattern, as one INSERT into a partition's attempts table.
 * Their revision is "" (none, src/durable/delivery-log/revision.ts): seeded rows were never sent.
 */
export function attemptsSql(s: SeedSpec, from: number, to: number): string {
  const pad = num(s.errorPad ?? 0);
  return `INSERT INTO attempts (created_at, id, delivery_id, attempt, status, response_code, response_time_ms, error_code, error, revision_id)
${rowsCte(s, from, to)}
SELECT t, printf('att_${s.tag}_%08d', i), ${deliveryIdSql(s)},
  1 + (i / 3) % 3,
  status,
  CASE status WHEN 'success' THEN 200 WHEN 'skipped' THEN NULL WHEN 'failed' THEN 500 ELSE 503 END,
  CASE status WHEN 'skipped' THEN NULL ELSE (i * 37) % 2000 END,
  CASE status WHEN 'success' THEN NULL WHEN 'skipped' THEN 'paused' ELSE 'http_5xx' END,
  CASE status WHEN 'success' THEN NULL ELSE '${ERROR_HEAD.replace(/'/g, "''")}' || substr(replace(hex(zeroblob(${pad})), '0', 'x'), 1, ${pad}) END,
  ''
FROM r WHERE NOT ${KEPT}`;
}

/**
 * The delivery row of each seeded attempt (one delivery per row of the pattern): what the log
 * shows of the attempt from it (event id, event, test flag) and its one attempt key. Ended (a
 * retrying attempt's delivery as failed) and marked call = 1, as a test send or check is, so no
 * sweep, resend, replay or recovery takes them: the seeding is a log to read, not deliveries.
 */
export function deliveriesSql(s: SeedSpec, from: number, to: number): string {
  return `INSERT INTO deliveries (id, revision_id, event_id, event, status, attempts, last_attempt, next_attempt_at, test, call, created_at, updated_at, resent_by, attempt_keys,
  first_response_code, first_response_time_ms)
${rowsCte(s, from, to)}
SELECT ${deliveryIdSql(s)}, 'rev_seeded', printf('evt_${s.tag}_%08d', i),
  CASE i % 3 WHEN 0 THEN '${SEED_EVENTS[0]}' WHEN 1 THEN '${SEED_EVENTS[1]}' ELSE '${SEED_EVENTS[2]}' END,
  CASE status WHEN 'retrying' THEN 'failed' ELSE status END,
  1 + (i / 3) % 3, NULL, NULL,
  CASE WHEN i % 25 = 24 THEN 1 ELSE 0 END,
  1, t, t, NULL,
  -- Seeded attempt ids do not carry their time: the key list as JSON (src/durable/delivery-log/keys.ts).
  json_array(json_array(t, printf('att_${s.tag}_%08d', i))),
  CASE WHEN ${KEPT} THEN 200 END, CASE WHEN ${KEPT} THEN (i * 37) % 2000 END
FROM r`;
}

/** The rows of the pattern per day of their creation: [day, first row, last row]. */
export function seedDays(spec: SeedSpec): [number, number, number][] {
  const first = spec.first ?? 0;
  const out: [number, number, number][] = [];
  for (let i = first; i < first + spec.count; i++) {
    // dayOf (src/storage/partitions.ts) written out: the bench imports this file under Node, without the worker's module resolution.
    const day = Math.floor(createdAtOf(i, spec) / 86_400_000);
    const last = out.at(-1);
    if (last && last[0] === day) last[2] = i;
    else out.push([day, i, i]);
  }
  return out;
}

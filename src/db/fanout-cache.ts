/**
 * Ingest's fan-out (which of an organisation's webhooks an event goes to: subscribers()) kept
 * in the isolate for FANOUT_CACHE_MS (1 s by default), so that D1, one database for every
 * tenant, is not read once per event. A busy organisation's ingest then reads D1 about once a
 * second per isolate and event type, whatever its rate; only quiet organisations' events still
 * read it about once each (docs/delivery.md, "Capacity on the edge").
 *
 * A change to an organisation's webhooks forgets its entries in the isolate that made it (every
 * write to webhooks in webhooks.ts, and the auto-pause, goes through changingFanout), so it
 * applies to the next event there; another isolate sees it within FANOUT_CACHE_MS. Until then its events fan out
 * as before the change, and the consumer reads the webhook again before sending: a delivery to
 * a webhook paused meanwhile is skipped and logged (plan.ts), one to a webhook deleted meanwhile
 * is dropped. "No such organisation" is never kept.
 *
 * Only answers are kept, never a read in flight: a request must not await another request's
 * I/O. Requests that shared one read failed under load with "Cannot perform I/O on behalf of a
 * different request" after their event was stored (test/system/concurrent-ingest.test.ts), so
 * concurrent misses each read. Under steady traffic there are none: one request renews an entry
 * past half its life while the others go on using it.
 */
import type { Env } from "../env";
import { retryTransient } from "../lib/transient";
import type { Subscriber } from "./webhooks";

const DEFAULT_MS = 1_000;
/** Organisations kept at most; past it the least recently used one's entries go first. */
export const MAX_ORGANISATIONS = 5_000;

/**
 * An answer, plain data: any request may use it. `at` is when its read started; `refreshing`
 * while a request reads it again (a request that never ends leaves it set, and the entry expires).
 */
type Entry = { at: number; subscribers: Subscriber[]; refreshing?: boolean };
/**
 * Organisation → event → entry. Map order is insertion order, and every use moves its
 * organisation to the end: the first one is the least recently used, which eviction drops (an
 * eviction by age alone would drop a busy organisation's fan-out as readily as an idle one's).
 */
const cache = new Map<number, Map<string, Entry>>();

/**
 * Organisations whose webhooks this isolate changed lately → until when their fan-out is read
 * from the primary: a replica may not have the change yet, and the isolate that made it must
 * not fan out as before it. Past this, replicas have long caught up.
 */
const readPrimaryUntil = new Map<number, number>();
const PRIMARY_AFTER_CHANGE_MS = 10_000;

/**
 * Counts the changes made in this isolate: a read that started before one may answer as before
 * it, so its answer is not kept (the change forgot the entries, not this read still in flight).
 */
let changes = 0;

export const fanoutCacheMs = (env: Pick<Env, "FANOUT_CACHE_MS">) => {
  const n = Number(env.FANOUT_CACHE_MS);
  return env.FANOUT_CACHE_MS !== undefined && Number.isFinite(n) && n >= 0 ? n : DEFAULT_MS;
};

/**
 * `subscribers` (webhooks.ts, passed in: that module forgets entries here) read at most once
 * per FANOUT_CACHE_MS per organisation and event in this isolate (once per request that misses
 * together), transient errors retried.
 */
export async function cachedSubscribers(
  env: Env,
  organisationId: number,
  event: string,
  subscribers: (d1: Pick<D1Database, "prepare">, organisationId: number, event: string) => Promise<Subscriber[] | null>,
  now = Date.now(),
): Promise<Subscriber[] | null> {
  const ttl = fanoutCacheMs(env);
  const events = ttl === 0 ? undefined : cache.get(organisationId);
  if (events) {
    cache.delete(organisationId);
    cache.set(organisationId, events);
  }
  // A valid entry answers before anything else is set up: this is nearly every event of a busy organisation.
  const hit = events?.get(event);
  if (hit && now - hit.at < ttl && (now - hit.at < ttl / 2 || hit.refreshing)) return hit.subscribers;
  // From any replica (D1 read replication, once enabled: docs/operations.md), so that replicas
  // share every tenant's reads; a replica's lag adds to the second another isolate may be behind.
  // After a change made here, from the primary (readPrimaryUntil).
  const primary = (readPrimaryUntil.get(organisationId) ?? 0) > now;
  if (!primary) readPrimaryUntil.delete(organisationId);
  const read = () => retryTransient(() => subscribers(env.DB.withSession(primary ? "first-primary" : "first-unconstrained"), organisationId, event));
  if (ttl === 0) return read();
  const readAndKeep = async () => {
    const before = changes;
    const answer = await read();
    // A failed read threw; no such organisation, or a change made meanwhile, is asked again by the next event.
    if (answer !== null && changes === before) keep(organisationId, event, { at: now, subscribers: answer });
    return answer;
  };
  if (!hit || now - hit.at >= ttl) return readAndKeep();
  // Past half its life, one request reads again while the others keep using the entry: under
  // steady traffic an entry is renewed before it expires, so the requests in flight never all
  // miss it at once (each would read D1 itself). A refresh that fails leaves the entry as it
  // was, for as long as it is valid.
  hit.refreshing = true;
  try {
    return await readAndKeep();
  } catch (err) {
    if (Date.now() - hit.at < ttl) return hit.subscribers;
    throw err;
  } finally {
    hit.refreshing = false;
  }
}

function keep(organisationId: number, event: string, entry: Entry) {
  const events = cache.get(organisationId);
  const kept = events?.get(event);
  if (kept && kept.at >= entry.at) return;
  if (events) events.set(event, entry);
  else {
    cache.set(organisationId, new Map([[event, entry]]));
    if (cache.size > MAX_ORGANISATIONS) cache.delete(cache.keys().next().value!);
  }
}

/**
 * Runs a write to the organisation's webhooks, then forgets its fan-out in this isolate: after
 * the write, and no read that started before it is kept (`changes`), whether or not it
 * succeeded (a write whose answer was lost may have happened).
 */
export async function changingFanout<T>(organisationId: number, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } finally {
    changes++;
    cache.delete(organisationId);
    readPrimaryUntil.delete(organisationId);
    readPrimaryUntil.set(organisationId, Date.now() + PRIMARY_AFTER_CHANGE_MS);
    if (readPrimaryUntil.size > MAX_ORGANISATIONS) readPrimaryUntil.delete(readPrimaryUntil.keys().next().value!);
  }
}

/**
 * Ingest's fan-out (which of an organisation's webhooks an event goes to) kept in the isolate for
 * FANOUT_CACHE_MS (1 s by default). A miss asks the organisation's OrganisationFanout object
 * (src/durable/organisation-fanout.ts), which keeps it from D1 for up to a minute: so a busy
 * organisation's ingest asks that object about once a second per isolate and event type, whatever
 * its rate, and D1, one database for every tenant, is read per organisation and minute, not per
 * event (docs/delivery.md, "Capacity on the edge").
 *
 * A change to an organisation's webhooks (every write to webhooks in webhooks.ts, and the
 * auto-pause, goes through changingFanout) forgets its entries in the isolate that made it and
 * in its object, before it is answered: it applies to the next event there, and within
 * FANOUT_CACHE_MS in every other isolate. Until then their events fan out as before the change,
 * and the consumer reads the webhook again before sending: a delivery to a webhook paused
 * meanwhile is skipped and logged (plan.ts), one to a webhook deleted meanwhile is dropped. "No
 * such organisation" is never kept.
 *
 * Only answers are kept, never a read in flight: a request must not await another request's
 * I/O. Requests that shared one read failed under load with "Cannot perform I/O on behalf of a
 * different request" after their event was stored (test/system/concurrent-ingest.test.ts), so
 * concurrent misses each read. Under steady traffic there are none: one request renews an entry
 * past half its life while the others go on using it.
 */
import type { Env } from "../env";
import { retryTransient } from "../lib/transient";
import { organisationFanout } from "../storage/stubs";
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
 * Counts the changes made in this isolate: a read that started before one may answer as before
 * it, so its answer is not kept (the change forgot the entries, not this read still in flight).
 */
let changes = 0;

export const fanoutCacheMs = (env: Pick<Env, "FANOUT_CACHE_MS">) => {
  const n = Number(env.FANOUT_CACHE_MS);
  return env.FANOUT_CACHE_MS !== undefined && Number.isFinite(n) && n >= 0 ? n : DEFAULT_MS;
};

/** Where a miss reads the fan-out: the organisation's object (tests pass readers of their own). */
export type FanoutReader = (env: Env, organisationId: number, event: string) => Promise<Subscriber[] | null>;

const fromObject: FanoutReader = (env, organisationId, event) => organisationFanout(env, organisationId).subscribers(organisationId, event);

/**
 * The fan-out, read at most once per FANOUT_CACHE_MS per organisation and event in this isolate
 * (once per request that misses together), transient errors retried.
 */
export async function cachedSubscribers(env: Env, organisationId: number, event: string, reader: FanoutReader = fromObject, now = Date.now()): Promise<Subscriber[] | null> {
  const ttl = fanoutCacheMs(env);
  const events = ttl === 0 ? undefined : cache.get(organisationId);
  if (events) {
    cache.delete(organisationId);
    cache.set(organisationId, events);
  }
  // A valid entry answers before anything else is set up: this is nearly every event of a busy organisation.
  const hit = events?.get(event);
  if (hit && now - hit.at < ttl && (now - hit.at < ttl / 2 || hit.refreshing)) return hit.subscribers;
  const read = () => retryTransient(() => reader(env, organisationId, event));
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
  // miss it at once (each would ask the organisation's object itself). A refresh that fails
  // leaves the entry as it was, for as long as it is valid.
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
 * Runs a write to the organisation's webhooks, then forgets its fan-out in this isolate and in
 * the organisation's object: after the write, and no read that started before it is kept
 * (`changes` here, a generation there), whether or not it succeeded (a write whose answer was
 * lost may have happened). The write is not undone when the object cannot be told: its copy is
 * then at most FANOUT_MAX_AGE_MS old, and the failure is logged.
 */
export async function changingFanout<T>(env: Pick<Env, "ORGANISATION_FANOUT">, organisationId: number, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } finally {
    changes++;
    cache.delete(organisationId);
    await retryTransient(() => organisationFanout(env, organisationId).forget()).catch((err: unknown) =>
      console.error(JSON.stringify({ level: "error", msg: "the organisation's fan-out object was not told of a change; it applies within FANOUT_MAX_AGE_MS", organisationId, error: String(err).slice(0, 300) })),
    );
  }
}

import { DurableObject } from "cloudflare:workers";
import { organisationHooks, type FanoutHook, type Subscriber } from "../db/webhooks";
import type { Env } from "../env";

const DEFAULT_MAX_AGE_MS = 60_000;
export const fanoutMaxAgeMs = (env: Pick<Env, "FANOUT_MAX_AGE_MS">) => Number(env.FANOUT_MAX_AGE_MS) || DEFAULT_MAX_AGE_MS;

/**
 * One organisation's fan-out (its event webhooks: status, revision, events), read from D1 and
 * kept in this object's memory, so that ingest does not read D1 for each event. Ingest's
 * isolates ask it when their own second-long copy misses (src/db/fanout-cache.ts): a quiet
 * organisation's events, each in an isolate that has not seen the organisation for a second,
 * used to read D1 one by one, every tenant's through one database. Here D1 is read once per
 * organisation per FANOUT_MAX_AGE_MS (a minute), and after each change.
 *
 * Every write to an organisation's webhooks tells this object to forget (changingFanout), from
 * whichever isolate or object made it, before the write is answered: the next read, from D1's
 * primary, sees it. The age bound is for a word that was lost (the write went through, the call
 * to forget failed): the copy is then at most that old. Nothing is written to storage: a restarted
 * object reads D1 again.
 */
export class OrganisationFanout extends DurableObject<Env> {
  private kept: { organisationId: number; at: number; hooks: FanoutHook[] } | undefined;
  /** Bumped by forget(): a read that started before a forget may answer as before it, and is not kept. */
  private generation = 0;
  /** D1 reads made since this object started (for tests: what the bound is about). */
  reads = 0;

  /** The organisation's webhooks subscribed to `event`; null when there is no such organisation. */
  async subscribers(organisationId: number, event: string, now = Date.now()): Promise<Subscriber[] | null> {
    const hooks = await this.hooks(organisationId, now);
    return hooks && hooks.filter((h) => h.events.includes(event)).map(({ id, status, revision_id }) => ({ id, status, revision_id }));
  }

  /** The organisation's webhooks changed: the next call reads D1. */
  forget(): void {
    this.generation++;
    this.kept = undefined;
  }

  private async hooks(organisationId: number, now: number): Promise<FanoutHook[] | null> {
    const kept = this.kept;
    if (kept && kept.organisationId === organisationId && now - kept.at < fanoutMaxAgeMs(this.env) && now >= kept.at) return kept.hooks;
    const generation = this.generation;
    this.reads++;
    // From the primary: a replica may not have the change this object was just told of. Not
    // retried here: the caller retries the whole call on a transient error (fanout-cache.ts),
    // which a retry here too would multiply.
    const hooks = await organisationHooks(this.env.DB.withSession("first-primary"), organisationId);
    // No such organisation is never kept: it may be created at any moment.
    if (hooks && generation === this.generation) this.kept = { organisationId, at: now, hooks };
    return hooks;
  }
}

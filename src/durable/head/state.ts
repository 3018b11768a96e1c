/**
 * What the head (src/durable/webhook-health.ts) keeps of its webhook's partitions, in its kv:
 * whose head it is, the live days, the totals folded in from dropped partitions.
 */
import type { LogScope, Totals } from "../../storage/contract";
import { deliveryLog } from "../../storage/stubs";
import { NO_TOTALS } from "../../stats/totals";
import type { Env } from "../../env";

export interface Owner {
  organisationId: number;
  webhookId: string;
}

export const KEYS = {
  owner: "owner",
  partitions: "partitions",
  archived: "archived",
  dropping: "dropping",
  retentionRetryAt: "retention_retry_at",
  refreshAt: "refresh_at",
  forgetting: "forgetting",
} as const;

/** The object's name carries the webhook, but the object does not know its name: the first call that says it is remembered. */
export function claim(kv: SyncKvStorage, organisationId: number, webhookId: string): Owner {
  const known = kv.get<Owner>(KEYS.owner);
  if (known) return known;
  const owner = { organisationId, webhookId };
  kv.put(KEYS.owner, owner);
  return owner;
}

export const ownerOf = (kv: SyncKvStorage) => kv.get<Owner>(KEYS.owner);

/** Live partitions (days), ascending. */
export const livePartitions = (kv: SyncKvStorage): number[] => kv.get<number[]>(KEYS.partitions) ?? [];

export const archivedTotals = (kv: SyncKvStorage): Totals => kv.get<Totals>(KEYS.archived) ?? NO_TOTALS;

export const scopeOf = (owner: Owner, day: number): LogScope => ({ organisationId: owner.organisationId, webhookId: owner.webhookId, day });

export const partitionStub = (env: Env, owner: Owner, day: number) => deliveryLog(env, owner.organisationId, owner.webhookId, day);

export const log = (level: string, msg: string, fields: Record<string, unknown>) => console.error(JSON.stringify({ level, msg, ...fields }));

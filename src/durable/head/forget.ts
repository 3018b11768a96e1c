/**
 * A deleted webhook's partitions go with it: the head drops every one (force: pending deliveries
 * too) from its alarm, so the DELETE request does not wait on deleting rows, then forgets
 * itself. Until then the head keeps only this list; a partition that a delivery in flight
 * registers meanwhile joins it.
 */
import type { Env } from "../../env";
import { allPartitions, RETENTION_RETRY_MS } from "./partitions";
import { KEYS, log, type Owner, ownerOf, partitionStub } from "./state";

interface Forgetting extends Owner {
  days: number[];
  /** When the alarm should (again) drop what is left. */
  due: number;
}

export const forgetting = (kv: SyncKvStorage) => kv.get<Forgetting>(KEYS.forgetting);
export const forgetDue = (kv: SyncKvStorage) => forgetting(kv)?.due ?? Infinity;

/** Clears everything but the partitions to drop; false when there are none (the caller deletes all at once). */
export async function beginForget(storage: DurableObjectStorage, now: number): Promise<boolean> {
  const kv = storage.kv;
  const owner = ownerOf(kv) ?? forgetting(kv);
  const days = [...new Set([...allPartitions(kv), ...(forgetting(kv)?.days ?? [])])];
  if (!owner || days.length === 0) return false;
  await storage.deleteAll();
  kv.put(KEYS.forgetting, { organisationId: owner.organisationId, webhookId: owner.webhookId, days, due: now } satisfies Forgetting);
  return true;
}

/** A partition created while the head is forgetting: dropped with the others. */
export function forgetAlso(kv: SyncKvStorage, day: number, now: number) {
  const f = forgetting(kv)!;
  kv.put(KEYS.forgetting, { ...f, days: [...new Set([...f.days, day])], due: now });
}

/** Drops what is left; when nothing is, deletes the head's storage (alarm included). */
export async function runForget(env: Env, storage: DurableObjectStorage, now: number): Promise<void> {
  const f = forgetting(storage.kv);
  if (!f) return;
  const dropped = await Promise.all(
    f.days.map(async (day) => {
      try {
        return (await partitionStub(env, f, day).drop(true)) ? day : null;
      } catch (err) {
        log("warn", "forget: partition drop failed; tried again later", { organisationId: f.organisationId, webhookId: f.webhookId, day, error: String(err).slice(0, 500) });
        return null;
      }
    }),
  );
  // Read again: a partition may have joined while the drops were awaited.
  const current = forgetting(storage.kv)!;
  const left = current.days.filter((day) => !dropped.includes(day));
  if (left.length > 0) {
    const joined = left.some((day) => !f.days.includes(day));
    storage.kv.put(KEYS.forgetting, { ...current, days: left, due: joined ? now : now + RETENTION_RETRY_MS });
    return;
  }
  await storage.deleteAlarm();
  await storage.deleteAll();
}

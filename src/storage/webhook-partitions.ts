/**
 * A webhook's live partitions (its head's list of days) as the scopes DeliveryLog calls take,
 * oldest first, narrowed to the days a time window touches.
 */
import { healthStub } from "../durable/health-client";
import type { Env } from "../env";
import type { LogScope } from "./contract";
import { dayOf } from "./partitions";

/**
 * The partitions that can hold deliveries created in [since, until): every live one by default.
 * One call to the head; the days it lists are the only partitions that were ever written.
 */
export async function webhookPartitions(
  env: Env,
  organisationId: number,
  webhookId: string,
  window: { since?: number; until?: number } = {},
): Promise<LogScope[]> {
  const days = await healthStub(env, organisationId, webhookId).partitions();
  const first = window.since === undefined ? -Infinity : dayOf(window.since);
  const last = window.until === undefined ? Infinity : dayOf(window.until - 1);
  return days
    .filter((day) => day >= first && day <= last)
    .sort((a, b) => a - b)
    .map((day) => ({ organisationId, webhookId, day }));
}

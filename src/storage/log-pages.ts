/**
 * A webhook's delivery log, read across its DeliveryLog partitions (one per UTC day of delivery
 * creation): the head lists the live ones, each answers its page, and the pages are merged in
 * log order (./merge-pages.ts). The caller has checked that the webhook is the organisation's.
 */
import { healthStub } from "../durable/health-client";
import type { Env } from "../env";
import type { AttemptRecord, LogFilter, Position } from "./contract";
import { MergedPages, type ChunkSize } from "./merge-pages";
import { DAY_MS } from "./partitions";
import { deliveryLog } from "./stubs";

/**
 * The newest instant a page can show: `to`, or a cursor at or below it. A partition holds the
 * deliveries created on its day, and their attempts come at or after its first millisecond, so
 * a partition whose day starts after this has no row to give. Nothing bounds it from below:
 * retries, resends and recoveries log attempts days after their delivery was created.
 */
export function newestShown(f: LogFilter, after: Position | null): number {
  return Math.min(f.to ?? Infinity, after?.createdAt ?? Infinity);
}

/** The live partitions (days, ascending) that can hold rows of the page. */
export const partitionsFor = (days: readonly number[], f: LogFilter, after: Position | null) =>
  days.filter((day) => day * DAY_MS <= newestShown(f, after));

/** A webhook's live partitions, oldest first: one call to its head. */
export const livePartitions = (env: Env, organisationId: number, webhookId: string): Promise<number[]> =>
  healthStub(env, organisationId, webhookId).partitions();

/**
 * The log of one webhook after `after`, read as far as it is taken, from those of the live
 * partitions `days` that can hold its rows. `calls` counts the pages asked of partitions.
 */
export function openLog(
  env: Env,
  organisationId: number,
  webhookId: string,
  days: readonly number[],
  f: LogFilter,
  after: Position | null,
  size: (partitions: number) => ChunkSize,
): MergedPages<AttemptRecord> {
  const read = partitionsFor(days, f, after);
  const filter: LogFilter = { from: f.from, to: f.to, status: f.status, event: f.event };
  return new MergedPages<AttemptRecord>(
    read.map((day) => {
      const scope = { organisationId, webhookId, day };
      return (from, limit) => deliveryLog(env, organisationId, webhookId, day).page(scope, filter, from, limit);
    }),
    after,
    size(read.length),
  );
}

/** The storage objects by name (src/storage/partitions.ts says how data is split among them). */
import type { Env } from "../env";
import { shardOf } from "./partitions";

/** A webhook's partition for one UTC day. */
export const deliveryLog = (env: Env, organisationId: number, webhookId: string, day: number) =>
  env.DELIVERY_LOG.get(env.DELIVERY_LOG.idFromName(`${organisationId}:${webhookId}:${day}`));

/** The shard that holds (or will hold) this event of the organisation. */
export const eventShard = (env: Env, organisationId: number, eventId: string) => eventShardAt(env, organisationId, shardOf(eventId));

/** The organisation's shard by number (a delivery id names one: shardOfDelivery). */
export const eventShardAt = (env: Env, organisationId: number, shard: number) =>
  env.EVENT_SHARD.get(env.EVENT_SHARD.idFromName(`${organisationId}:${shard}`));

/** The organisation's fan-out, kept from D1 (src/durable/organisation-fanout.ts). */
export const organisationFanout = (env: Pick<Env, "ORGANISATION_FANOUT">, organisationId: number) =>
  env.ORGANISATION_FANOUT.get(env.ORGANISATION_FANOUT.idFromName(String(organisationId)));

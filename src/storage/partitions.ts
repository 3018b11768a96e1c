/**
 * Where traffic-sized data lives (issue 15): D1 keeps the control plane only. A webhook's
 * deliveries, attempts, day totals and minute rollups live in one DeliveryLog object per
 * webhook and UTC day of the delivery's creation (src/durable/delivery-log/), so one busy
 * webhook fills a bounded partition per day and retention drops whole partitions. Events live
 * in EventShard objects (src/durable/event-shard/), EVENT_SHARDS per organisation chosen by a
 * hash of the event id, so one organisation's ingest is not capped at one object's rate.
 */

export const DAY_MS = 86_400_000;

/** Days since the epoch (UTC) of an instant. */
export const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** The creation time a src/lib/ids.ts id carries in its first 10 characters after the prefix. */
export function timeOfId(id: string): number {
  const time = id.slice(id.indexOf("_") + 1, id.indexOf("_") + 11);
  let t = 0;
  for (const ch of time) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error(`not a time-sortable id: ${id}`);
    t = t * 32 + v;
  }
  return t;
}

/** The partition (day) a delivery lives in: the day it was created, which its id carries. */
export const dayOfDelivery = (deliveryId: string) => dayOf(timeOfId(deliveryId));

/**
 * Shards per organisation. Each is an object of about 1,000 requests/s and 10 GB, and holds its
 * share of the retention's events: 64 of them take about 64,000 events/s, and at about 700 bytes
 * an event hold 30 days of about 350 events/s sustained (docs/storage.md, "Capacity"). Fixed:
 * another count would send an event id to another shard, where a retry of it would not be found.
 * The consumer rarely reads them (a message carries its body), so more shards cost ingest nothing.
 */
export const EVENT_SHARDS = 64;

/** FNV-1a of the event id: the same id always reaches the same shard, so duplicates meet there. */
export function shardOf(eventId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < eventId.length; i++) {
    h ^= eventId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % EVENT_SHARDS;
}

/**
 * A delivery id names its event's shard: the shard writes its number in the first two of the
 * id's random characters (EventShard.accept), so a delivery that no partition holds yet (not
 * attempted) is found from its id alone (src/db/deliveries.ts). Null when the characters name no
 * shard (an id made before this, or not by a shard): such an id is looked up in its partition only.
 */
export function shardOfDelivery(deliveryId: string): number | null {
  const hi = ALPHABET.indexOf(deliveryId.charAt(14));
  const lo = ALPHABET.indexOf(deliveryId.charAt(15));
  if (!deliveryId.startsWith("dlv_") || hi < 0 || lo < 0) return null;
  const shard = hi * 32 + lo;
  return shard < EVENT_SHARDS ? shard : null;
}

/** A new delivery id of `createdAt` that names `shard` (shardOfDelivery). */
export const deliveryIdIn = (newDeliveryId: string, shard: number) =>
  `${newDeliveryId.slice(0, 14)}${ALPHABET[Math.floor(shard / 32)]}${ALPHABET[shard % 32]}${newDeliveryId.slice(16)}`;


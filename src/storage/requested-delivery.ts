/**
 * The partition a delivery id from a request names. The id is the caller's text: only an id
 * this service could have made (src/lib/ids.ts) names a partition, and only a day a partition
 * can still hold (not past the logs' retention, not in the future), so a made-up or mistyped id
 * is a plain "not found" and wakes no object.
 */
import type { Env } from "../env";
import { logRetentionMs } from "../maintenance/retention";
import { DAY_MS, dayOf, dayOfDelivery } from "./partitions";

/** "dlv_", 10 characters of time and 16 random ones, in the ids' Crockford base32 (no i, l, o, u). */
const DELIVERY_ID = /^dlv_[0-9a-hjkmnp-tv-z]{26}$/;

/** The day of the delivery's partition, or null when no partition can hold it. */
export function requestedDeliveryDay(env: Pick<Env, "LOG_RETENTION_DAYS">, deliveryId: string, now = Date.now()): number | null {
  if (!DELIVERY_ID.test(deliveryId)) return null;
  const day = dayOfDelivery(deliveryId);
  // A day of slack each side: the head drops a partition once a day (its alarm), and clocks differ by a little.
  const oldest = dayOf(now - logRetentionMs(env)) - 1;
  const newest = dayOf(now + DAY_MS);
  return day >= oldest && day <= newest ? day : null;
}

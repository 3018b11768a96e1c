import type { Env } from "../env";
import type { DeliveryMessage } from "./messages";

/** A sendBatch takes at most 100 messages. */
const SEND_BATCH_LIMIT = 100;

/**
 * Enqueues delivery attempts. A failed send is logged, not thrown: the deliveries are already
 * pending in D1 and the sweeper re-enqueues what the queue never got.
 */
export async function enqueueDeliveries(
  env: Env,
  items: Omit<DeliveryMessage, "kind">[],
  delayMs = 0,
): Promise<boolean> {
  const delaySeconds = Math.ceil(delayMs / 1000);
  try {
    for (let i = 0; i < items.length; i += SEND_BATCH_LIMIT) {
      await env.DELIVERY_QUEUE.sendBatch(
        items.slice(i, i + SEND_BATCH_LIMIT).map((m) => ({ body: { kind: "delivery", ...m } as const, delaySeconds })),
      );
    }
    return true;
  } catch (err) {
    console.error(JSON.stringify({ level: "warn", msg: "enqueue failed; the sweeper will re-enqueue", count: items.length, error: String(err) }));
    return false;
  }
}

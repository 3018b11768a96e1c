import type { Lane } from "./lanes";
import type { DeliveryRow } from "./load";
import type { DeliveryMessage } from "./messages";

/**
 * Messages acknowledged so far. When a batch fails part way, only the others are handed back
 * (index.ts): the edge honours an ack even then, but a retry() after it would be ambiguous.
 */
const acked = new WeakSet<Message<unknown>>();

export function ack(msg: Message<unknown>): void {
  acked.add(msg);
  msg.ack();
}

export const isAcked = (msg: Message<unknown>) => acked.has(msg);

export interface Planned {
  msg: Message<DeliveryMessage>;
  row: DeliveryRow;
  attempt: number;
}

/** What each message of a batch asks for, once its delivery's row is loaded. */
export interface Plan {
  /** Send now. */
  sends: Planned[];
  /** The webhook is not active: logged as skipped, nothing sent. */
  skips: Planned[];
  /** A slow webhook's delivery that reached the main lane: moved to the slow lane, unsent. */
  moves: Planned[];
  /** The attempt was already recorded as the last: only the idempotent after-effects run again. */
  stale: Planned[];
  /** Nothing to do: its webhook was deleted, a duplicate in this batch, or an outdated message. */
  done: Message<DeliveryMessage>[];
}

export function planBatch(batch: readonly Message<DeliveryMessage>[], rows: Map<string, DeliveryRow>, lane: Lane): Plan {
  const plan: Plan = { sends: [], skips: [], moves: [], stale: [], done: [] };
  const claimed = new Set<string>();
  for (const msg of batch) {
    const row = rows.get(msg.body.delivery_id);
    const key = `${msg.body.delivery_id}:${msg.body.attempt}`;
    if (!row || claimed.has(key)) {
      plan.done.push(msg);
      continue;
    }
    claimed.add(key);
    const planned = { msg, row, attempt: msg.body.attempt };
    if (row.status !== "pending" || row.attempts !== msg.body.attempt - 1) {
      const final = row.attempts === msg.body.attempt && (row.status === "failed" || row.status === "success");
      if (final) plan.stale.push(planned);
      else plan.done.push(msg);
    } else if (row.webhook_status !== "active") {
      plan.skips.push(planned);
    } else if (lane === "main" && row.slow_since !== null) {
      plan.moves.push(planned);
    } else {
      plan.sends.push(planned);
    }
  }
  return plan;
}

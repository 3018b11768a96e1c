import type { Env } from "../env";
import { queueOfLane, type Lane } from "./lanes";
import type { DeliveryMessage } from "./messages";
import { packDeliveries, type Packed } from "./packs";

/** A sendBatch takes at most 100 messages, and 256 KB in all (Queues limits). */
const SEND_BATCH_LIMIT = 100;
const SEND_BATCH_BYTES = 256 * 1024 - 8 * 1024;
/**
 * A queue takes 5,000 messages/s and throws "Too Many Requests" past it (Queues limits). A large
 * send (a replay, a sweep) keeps to half of that, so ingest and retries on the same queue still
 * have room: one chunk of 100 every 40 ms.
 */
export const PACE_PER_SECOND = 2_500;
/** A chunk that throws is tried again after these pauses: the last one waits past a 1 s rate window. */
export const RETRY_PAUSES_MS = [250, 500, 1_000];
/** After this many chunks in a row failed every try, the queue is taken to be down and the rest is not tried. */
const DOWN_AFTER = 2;

/** A message to enqueue; `delayMs`, when given, is its own delay instead of the call's. */
export type Enqueued = Omit<DeliveryMessage, "kind"> & { delayMs?: number };

export interface EnqueueReport {
  sent: number;
  /** What the queue never got: still pending in its partition, whose sweep alarm enqueues it once it is overdue. */
  unsent: Enqueued[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The pace of one large send, which may span several calls: a sweep run enqueues page after page,
 * and each page paced from its own start would begin at full speed right after the last one.
 * A chunk goes no sooner than its predecessor's share of the rate after that one went, counted
 * from when it went, so a pause (a slow page read, a retried chunk) is never made up in a burst:
 * no second carries more than PACE_PER_SECOND plus the chunk that opened it (at most 100).
 * Pass one Pacer to every call of the run.
 */
export class Pacer {
  private next = 0;

  async wait(): Promise<void> {
    const now = Date.now();
    if (this.next > now) await sleep(this.next - now);
  }

  /** `messages` went to the queue at `at`. */
  sent(messages: number, at: number): void {
    this.next = at + (messages * 1000) / PACE_PER_SECOND;
  }
}

/**
 * Enqueues delivery attempts in chunks of 100, paced under the queue's rate. A chunk that throws
 * is retried with backoff, then left for the sweeper while the others go on. Nothing is thrown:
 * the deliveries are already pending in their partitions. True when the queue got every message.
 */
export async function enqueueDeliveries(
  env: Env,
  items: Enqueued[],
  delayMs = 0,
  lane: Lane = "main",
): Promise<boolean> {
  return (await enqueueReporting(env, items, delayMs, lane)).unsent.length === 0;
}

/** enqueueDeliveries, answering what was sent and what was not; `pacer` shared by the calls of one run. */
export async function enqueueReporting(
  env: Env,
  items: Enqueued[],
  delayMs = 0,
  lane: Lane = "main",
  pacer = new Pacer(),
): Promise<EnqueueReport> {
  // Whole seconds, per message: a retry's delay is at most 43,200 s (retry-policy.ts), the most a queue message can wait.
  const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));
  const queue = queueOfLane(env, lane);
  const report: EnqueueReport = { sent: 0, unsent: [] };
  const messages = packDeliveries(items.map((item) => {
    const { delayMs: own, ...part } = item;
    return { item, part, delaySeconds: seconds(own ?? delayMs) };
  }));
  let failedInARow = 0;
  let lastError: unknown;
  for (const chunk of sendBatches(messages)) {
    const carried = chunk.flatMap((m) => m.items);
    if (failedInARow >= DOWN_AFTER) {
      report.unsent.push(...carried);
      continue;
    }
    await pacer.wait();
    let sent = false;
    for (let attempt = 0; !sent && attempt <= RETRY_PAUSES_MS.length; attempt++) {
      if (attempt > 0) await sleep(RETRY_PAUSES_MS[attempt - 1]!);
      try {
        const at = Date.now();
        await queue.sendBatch(chunk.map(({ body, delaySeconds }) => ({ body, delaySeconds })));
        pacer.sent(chunk.length, at);
        sent = true;
      } catch (err) {
        lastError = err;
      }
    }
    if (sent) {
      report.sent += carried.length;
      failedInARow = 0;
    } else {
      report.unsent.push(...carried);
      failedInARow++;
    }
  }
  if (report.unsent.length > 0) {
    console.error(JSON.stringify({
      level: "warn", msg: "enqueue failed for some deliveries; the sweeper will re-enqueue them", lane,
      sent: report.sent, unsent: report.unsent.length, first_unsent: report.unsent[0]!.delivery_id, error: String(lastError),
    }));
  }
  return report;
}

/** The messages in sendBatch calls: at most 100 messages and 256 KB each (Queues limits). */
function* sendBatches<T>(messages: Packed<T>[]): Generator<Packed<T>[]> {
  let chunk: Packed<T>[] = [];
  let bytes = 0;
  for (const m of messages) {
    if (chunk.length > 0 && (chunk.length >= SEND_BATCH_LIMIT || bytes + m.bytes > SEND_BATCH_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += m.bytes;
  }
  if (chunk.length > 0) yield chunk;
}

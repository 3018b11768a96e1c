/**
 * The connection budget of one consumer invocation, enforced by us because the local runtime
 * does not: on Cloudflare's edge an invocation has at most six connections waiting for response
 * headers (fetch, and Queues sends, count; D1 and Durable Object calls do not), and a seventh
 * waits for one of them while its own timers already run. So a send is started only when it
 * has a slot, and its timeout starts with it.
 *
 * Slots go to webhooks fairly: the next free slot goes to the waiting webhook with the fewest
 * sends in flight (first come among equals), and no webhook holds more than its cap while
 * another waits. A hanging endpoint therefore holds at most `perWebhook` slots while anyone else
 * has a send to make.
 * What has not started when the window closes is handed back, unsent (see consume.ts).
 */

/** Cloudflare Workers platform limits: six simultaneous open connections per invocation. */
export const CONNECTIONS_PER_INVOCATION = 6;
/** Sends take five; one stays free for the queue sends (retries, hand-backs) a batch makes meanwhile. */
export const SEND_SLOTS = CONNECTIONS_PER_INVOCATION - 1;
/** Three of five: a webhook whose endpoint hangs leaves at least two slots to all the others. */
export const SLOTS_PER_WEBHOOK = 3;

export interface GateOptions {
  slots?: number;
  perWebhook?: number;
  /** After this long no new send starts; what is still waiting is returned as not started. */
  windowMs: number;
}

export interface GateItem<T> {
  webhookId: string;
  run: () => Promise<T>;
}

/** The most sends this isolate ever had in flight in one invocation: read by the tests. */
export const gateStats = { maxInFlight: 0 };

/**
 * Runs the items under the budget; `onDone` sees each result as it comes. Resolves, once nothing
 * is in flight, with the items that never started; rejects with the first item that throws.
 */
export function runThroughGate<T, I extends GateItem<T>>(items: readonly I[], opts: GateOptions, onDone: (item: I, result: T) => void): Promise<I[]> {
  const slots = opts.slots ?? SEND_SLOTS;
  const cap = opts.perWebhook ?? SLOTS_PER_WEBHOOK;
  // Per webhook, its items in arrival order; a Map keeps first-come order among equals.
  const waiting = new Map<string, I[]>();
  for (const item of items) {
    const list = waiting.get(item.webhookId) ?? [];
    list.push(item);
    waiting.set(item.webhookId, list);
  }
  const inFlight = new Map<string, number>();
  let running = 0;
  let closed = false;

  return new Promise<I[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      closed = true;
      finishIfIdle();
    }, opts.windowMs);

    function finishIfIdle() {
      if (running > 0) return;
      if (!closed && waiting.size > 0) return;
      clearTimeout(timer);
      resolve([...waiting.values()].flat());
    }

    function next(): I | undefined {
      // The cap only protects others: a webhook that is the last one waiting may use every slot.
      const limit = waiting.size > 1 ? cap : slots;
      let best: string | undefined;
      for (const [webhookId] of waiting) {
        const n = inFlight.get(webhookId) ?? 0;
        if (n >= limit) continue;
        if (best === undefined || n < (inFlight.get(best) ?? 0)) best = webhookId;
      }
      if (best === undefined) return undefined;
      const list = waiting.get(best)!;
      const item = list.shift()!;
      if (list.length === 0) waiting.delete(best);
      return item;
    }

    function pump() {
      while (!closed && running < slots) {
        const item = next();
        if (!item) break;
        running++;
        gateStats.maxInFlight = Math.max(gateStats.maxInFlight, running);
        inFlight.set(item.webhookId, (inFlight.get(item.webhookId) ?? 0) + 1);
        item.run().then(
          (result) => {
            running--;
            inFlight.set(item.webhookId, inFlight.get(item.webhookId)! - 1);
            onDone(item, result);
            pump();
            finishIfIdle();
          },
          // A send never throws; what does is a crash of the consumer (or an injected one).
          (err) => {
            closed = true;
            clearTimeout(timer);
            reject(err);
          },
        );
      }
      finishIfIdle();
    }
    pump();
  });
}

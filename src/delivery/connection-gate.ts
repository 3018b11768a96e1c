/**
 * The connection budget of one consumer invocation, enforced by us because the local runtime
 * does not: on Cloudflare's edge an invocation has at most six connections waiting for response
 * headers (fetch, and Queues sends, count; D1 and Durable Object calls do not), and a seventh
 * waits for one of them while its own timers already run. So a send is started only when it
 * has a connection, and its timeout starts with it.
 *
 * Sends and queue sends share the six (ConnectionBudget): a queue send (a retry, a move, a
 * hand-back, a failure's announcement) takes the next free connection before any new send does,
 * and sends use all six while none is asked for. A fixed slot kept for queue sends idled a sixth
 * of the budget whenever deliveries succeeded, and parallel announcements could overrun it.
 *
 * Among sends, connections go to webhooks fairly: the next free one goes to the waiting webhook
 * with the fewest sends in flight (first come among equals), and no webhook holds more than its
 * cap while another waits. A hanging endpoint therefore holds at most `perWebhook` connections
 * while anyone else has a send to make.
 * What has not started when the window closes is handed back, unsent (see consume.ts).
 */

/** Cloudflare Workers platform limits: six simultaneous open connections per invocation. */
export const CONNECTIONS_PER_INVOCATION = 6;
/** Half of six: a webhook whose endpoint hangs leaves at least three connections to all the others. */
export const SLOTS_PER_WEBHOOK = 3;

/** The most connections one invocation of this isolate ever had open at once: read by the tests. */
export const gateStats = { maxInFlight: 0 };

/** One invocation's connections, shared by its sends and its queue sends. */
export class ConnectionBudget {
  private inUse = 0;
  /** Queue sends waiting for a connection: each is handed the next one freed. */
  private readonly waiters: (() => void)[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(readonly size = CONNECTIONS_PER_INVOCATION) {}

  /** For a send: a connection now, if one is free and no queue send waits for it. */
  tryTake(): boolean {
    if (this.inUse >= this.size || this.waiters.length > 0) return false;
    this.taken();
    return true;
  }

  /** For a queue send: runs `fn` on a connection of its own, the next one free, ahead of any send. */
  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inUse < this.size && this.waiters.length === 0) this.taken();
    else await new Promise<void>((handed) => this.waiters.push(handed));
    try {
      return await fn();
    } finally {
      this.give();
    }
  }

  /** A connection is done: it goes to the first waiting queue send, else back to the sends. */
  give(): void {
    const next = this.waiters.shift();
    if (next) return next();
    this.inUse--;
    for (const listener of [...this.listeners]) listener();
  }

  /** Calls `listener` whenever a connection comes free for sends; answers how to stop. */
  onFree(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private taken() {
    this.inUse++;
    gateStats.maxInFlight = Math.max(gateStats.maxInFlight, this.inUse);
  }
}

export interface GateOptions {
  /** The invocation's connections (a budget of its own, `slots` large, when not given). */
  budget?: ConnectionBudget;
  slots?: number;
  perWebhook?: number;
  /** After this long no new send starts; what is still waiting is returned as not started. */
  windowMs: number;
}

export interface GateItem<T> {
  webhookId: string;
  run: () => Promise<T>;
}

/**
 * Runs the items under the budget; `onDone` sees each result as it comes. Resolves, once nothing
 * is in flight, with the items that never started; rejects with the first item that throws.
 */
export function runThroughGate<T, I extends GateItem<T>>(items: readonly I[], opts: GateOptions, onDone: (item: I, result: T) => void): Promise<I[]> {
  const budget = opts.budget ?? new ConnectionBudget(opts.slots);
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
    const stopListening = budget.onFree(() => pump());
    const timer = setTimeout(() => {
      closed = true;
      finishIfIdle();
    }, opts.windowMs);

    function finishIfIdle() {
      if (running > 0) return;
      if (!closed && waiting.size > 0) return;
      clearTimeout(timer);
      stopListening();
      resolve([...waiting.values()].flat());
    }

    /** The webhook whose send goes next, if any may start. */
    function choose(): string | undefined {
      // The cap only protects others: a webhook that is the last one waiting may use every connection.
      const limit = waiting.size > 1 ? cap : budget.size;
      let best: string | undefined;
      for (const [webhookId] of waiting) {
        const n = inFlight.get(webhookId) ?? 0;
        if (n >= limit) continue;
        if (best === undefined || n < (inFlight.get(best) ?? 0)) best = webhookId;
      }
      return best;
    }

    function pump() {
      while (!closed) {
        const webhookId = choose();
        if (webhookId === undefined || !budget.tryTake()) break;
        const list = waiting.get(webhookId)!;
        const item = list.shift()!;
        if (list.length === 0) waiting.delete(webhookId);
        running++;
        inFlight.set(webhookId, (inFlight.get(webhookId) ?? 0) + 1);
        item.run().then(
          (result) => {
            running--;
            inFlight.set(webhookId, inFlight.get(webhookId)! - 1);
            onDone(item, result);
            // Freed: to a waiting queue send, else to the next send (onFree pumps).
            budget.give();
            finishIfIdle();
          },
          // A send never throws; what does is a crash of the consumer (or an injected one).
          (err) => {
            closed = true;
            clearTimeout(timer);
            stopListening();
            budget.give();
            reject(err);
          },
        );
      }
      finishIfIdle();
    }
    pump();
  });
}

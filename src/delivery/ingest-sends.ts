/**
 * Ingest's queue sends: made after the 202, and shared by the concurrent requests of an isolate.
 *
 * By the time ingest answers, the event and its delivery ids are durable in its shard, whose
 * sweep enqueues a minute later whatever the queue never got (src/durable/event-shard/sweep.ts).
 * The send is what makes delivery prompt, not what makes it safe; so the answer does not wait
 * for it, and the request keeps it going with waitUntil.
 *
 * Sending together is what makes an event with one subscriber cheap: Queues bills three
 * operations per message of up to 64 KB, and a message packs up to 10 deliveries (packs.ts).
 * One request at a time leads: it sends everything waiting, then whatever arrived during that
 * send, and so on. Nobody waits for company: an idle isolate sends each event's deliveries at
 * once, and groups form only from the requests that arrive while a send is in flight. A leader
 * hands over after LEAD_MS (the runtime gives waitUntil 30 s after the answer): its last round's
 * arrivals then lead themselves. Only plain data crosses requests; each send is the leader's own
 * I/O, made from its own context.
 */
import type { Env } from "../env";
import { enqueueDeliveries, type Enqueued } from "./enqueue";

/** How long one request leads before the next arrival takes over: well inside waitUntil's 30 s. */
const LEAD_MS = 5_000;

class Sender {
  private waiting: Enqueued[] = [];
  /** The lead in progress, if any (a token: an old lead ending must not clear a newer one's). */
  private leader: object | null = null;

  constructor(private readonly env: Env) {}

  /** Queues `items`; answers the send this request must keep going (its own lead), or null when another request's lead takes them. */
  add(items: Enqueued[]): Promise<void> | null {
    this.waiting.push(...items);
    if (this.leader) return null;
    const me = {};
    this.leader = me;
    return this.lead(me);
  }

  private async lead(me: object): Promise<void> {
    const started = Date.now();
    try {
      while (this.waiting.length > 0) {
        const round = this.waiting.splice(0);
        // Past its time, this is the last round: arrivals from now on lead themselves.
        const last = Date.now() - started >= LEAD_MS;
        if (last) this.leader = null;
        // What the queue does not take is logged by enqueue and sent by the shard's sweep.
        await enqueueDeliveries(this.env, round);
        if (last) return;
      }
    } finally {
      // Nothing is left waiting when a lead ends normally; after a throw, the next arrival leads.
      if (this.leader === me) this.leader = null;
    }
  }
}

/**
 * One sender per delivery queue binding: tests pass environments with queues of their own (one
 * that refuses), which must not share sends.
 */
const senders = new WeakMap<object, Sender>();

/**
 * Sends ingest's deliveries. With a `waitUntil` (a request's), after the answer and together
 * with the isolate's other ingests; without one, at once, and the caller waits.
 */
export async function sendFromIngest(env: Env, items: Enqueued[], waitUntil?: (p: Promise<unknown>) => void): Promise<void> {
  if (items.length === 0) return;
  if (!waitUntil) {
    await enqueueDeliveries(env, items);
    return;
  }
  let sender = senders.get(env.DELIVERY_QUEUE);
  if (!sender) senders.set(env.DELIVERY_QUEUE, (sender = new Sender(env)));
  const lead = sender.add(items);
  if (lead) waitUntil(lead.catch((err) => console.error(JSON.stringify({ level: "error", msg: "ingest send failed; the shard's sweep will enqueue", error: String(err).slice(0, 300) }))));
}

/**
 * Several deliveries in one queue message. Queues bills three operations (write, read, delete)
 * per message of up to 64 KB, whatever it holds: a delivery's message is about 1 KB with a
 * 620-byte body, so one per delivery paid for 64 KB and used one. A send of several deliveries to
 * the same lane with the same delay (an event's fan-out, a sweep's page, a wave's retries and
 * hand-backs, a replay) goes as packs of up to PACK_MAX deliveries within 64 KB.
 *
 * The consumer takes a pack apart into one message per delivery (`unpackBatch`), so every step
 * after it is unchanged. The pack is acknowledged once all its deliveries are, and retried if any
 * of them asks for a retry, after the longest delay asked: its deliveries already done are then
 * stale, and planned as done (plan.ts).
 */
import type { DeliveryMessage, DeliveryPack } from "./messages";

/**
 * Deliveries per message at most: a consumer batch of 50 messages (wrangler.toml) is then at most
 * 500 deliveries, under the invocation's 1,000 subrequests; what the send window cannot start is
 * handed back as messages of its own (consume.ts).
 */
export const PACK_MAX = 10;
/** A queue operation is billed per 64 KB of message; Queues adds about 100 bytes of its own. */
const PACK_BYTES = 64 * 1024 - 512;

type Part = Omit<DeliveryMessage, "kind">;

export interface Packed<T> {
  body: DeliveryMessage | DeliveryPack;
  delaySeconds: number;
  /** What the message carries, in the caller's terms (for reporting what was sent). */
  items: T[];
  bytes: number;
}

const utf8 = new TextEncoder();

/**
 * Packs the parts in order, by delay: each delay's parts fill packs of PACK_MAX within 64 KB. A
 * pack of one is a plain delivery message.
 */
export function packDeliveries<T>(entries: { item: T; part: Part; delaySeconds: number }[]): Packed<T>[] {
  const open = new Map<number, { parts: Part[]; items: T[]; bytes: number; delaySeconds: number }>();
  const all: { parts: Part[]; items: T[]; bytes: number; delaySeconds: number }[] = [];
  for (const { item, part, delaySeconds } of entries) {
    const bytes = utf8.encode(JSON.stringify(part)).length + 1;
    let pack = open.get(delaySeconds);
    if (!pack || pack.parts.length >= PACK_MAX || pack.bytes + bytes > PACK_BYTES) {
      pack = { parts: [], items: [], bytes: 40, delaySeconds };
      open.set(delaySeconds, pack);
      all.push(pack);
    }
    pack.parts.push(part);
    pack.items.push(item);
    pack.bytes += bytes;
  }
  return all.map((p) => ({
    body: p.parts.length === 1 ? { kind: "delivery", ...p.parts[0]! } : { kind: "deliveries", deliveries: p.parts },
    delaySeconds: p.delaySeconds,
    items: p.items,
    bytes: p.bytes,
  }));
}

/** One delivery of a pack, as a message of its own: its ack and retry are the pack's, once all its deliveries have said. */
class PackPart implements Message<DeliveryMessage> {
  readonly body: DeliveryMessage;

  constructor(
    private readonly pack: PackTracker,
    part: Part,
    readonly index: number,
  ) {
    this.body = { kind: "delivery", ...part };
  }

  get id() {
    return `${this.pack.msg.id}/${this.index}`;
  }

  get timestamp() {
    return this.pack.msg.timestamp;
  }

  get attempts() {
    return this.pack.msg.attempts;
  }

  ack(): void {
    this.pack.settle(this, null);
  }

  retry(options?: QueueRetryOptions): void {
    this.pack.settle(this, options?.delaySeconds ?? 0);
  }
}

class PackTracker {
  private readonly open = new Set<PackPart>();
  private delay: number | null = null;

  constructor(readonly msg: Message<DeliveryPack>) {}

  parts(): PackPart[] {
    const parts = this.msg.body.deliveries.map((d, i) => new PackPart(this, d, i));
    for (const p of parts) this.open.add(p);
    return parts;
  }

  /** A part's ack (delay null) or retry; the first word of each part counts, as with a message. */
  settle(part: PackPart, delay: number | null): void {
    if (!this.open.delete(part)) return;
    if (delay !== null) this.delay = Math.max(this.delay ?? 0, delay);
    if (this.open.size > 0) return;
    if (this.delay === null) this.msg.ack();
    else this.msg.retry({ delaySeconds: this.delay });
  }
}

/** The batch's deliveries, one message each: plain delivery messages as they are, packs taken apart. Other kinds are left out. */
export function unpackBatch(messages: readonly Message<unknown>[]): Message<DeliveryMessage>[] {
  const out: Message<DeliveryMessage>[] = [];
  for (const m of messages) {
    const body = m.body as { kind?: string };
    if (body?.kind === "delivery") out.push(m as Message<DeliveryMessage>);
    else if (body?.kind === "deliveries") out.push(...new PackTracker(m as Message<DeliveryPack>).parts());
  }
  return out;
}

/** How many queue messages these deliveries came in (for the batch's log line and the bench's bill). */
export function queueMessagesOf(batch: readonly Message<DeliveryMessage>[]): number {
  return new Set(batch.map((m) => (m instanceof PackPart ? m.id.slice(0, m.id.lastIndexOf("/")) : m.id))).size;
}

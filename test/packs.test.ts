/**
 * Packs (src/delivery/packs.ts): several deliveries in one queue message, taken apart by the
 * consumer into one message per delivery whose ack and retry are the pack's. The end-to-end paths
 * (ingest fan-out, replays, sweeps) run through them in the other suites; this holds the rules.
 */
import { describe, expect, it } from "vitest";
import type { DeliveryMessage, DeliveryPack } from "../src/delivery/messages";
import { PACK_MAX, packDeliveries, queueMessagesOf, unpackBatch } from "../src/delivery/packs";

const part = (i: number) => ({ delivery_id: `dlv_${i}`, attempt: 1, organisation_id: 1, webhook_id: "wh_1", event_id: `evt_${i}` });

/** A queue message that records what was said to it. */
function message<T>(id: string, body: T) {
  const said: string[] = [];
  const msg = {
    id,
    timestamp: new Date(0),
    attempts: 2,
    body,
    ack: () => void said.push("ack"),
    retry: (o?: QueueRetryOptions) => void said.push(`retry ${o?.delaySeconds ?? 0}`),
  } as Message<T>;
  return { msg, said };
}

describe("packing", () => {
  it("fills packs of PACK_MAX per delay, in order, and sends a pack of one as a plain delivery message", () => {
    const entries = [
      ...Array.from({ length: PACK_MAX + 1 }, (_, i) => ({ item: i, part: part(i), delaySeconds: 0 })),
      { item: 99, part: part(99), delaySeconds: 30 },
    ];
    const packed = packDeliveries(entries);
    expect(packed.map((p) => [p.body.kind, p.delaySeconds, p.items])).toEqual([
      ["deliveries", 0, Array.from({ length: PACK_MAX }, (_, i) => i)],
      ["delivery", 0, [PACK_MAX]],
      ["delivery", 30, [99]],
    ]);
    expect((packed[0]!.body as DeliveryPack).deliveries[3]).toEqual(part(3));
    expect(packed[1]!.body).toEqual({ kind: "delivery", ...part(PACK_MAX) });
  });
});

describe("unpacking", () => {
  it("answers one message per delivery, acknowledges the pack once all are, and leaves other kinds out", () => {
    const pack = message<DeliveryPack>("m1", { kind: "deliveries", deliveries: [part(1), part(2), part(3)] });
    const plain = message<DeliveryMessage>("m2", { kind: "delivery", ...part(4) });
    const job = message("m3", { kind: "export", export_id: "exp_1" });
    const batch = unpackBatch([pack.msg, plain.msg, job.msg]);
    expect(batch.map((m) => m.body.delivery_id)).toEqual(["dlv_1", "dlv_2", "dlv_3", "dlv_4"]);
    expect(batch.map((m) => m.attempts)).toEqual([2, 2, 2, 2]);
    expect(new Set(batch.map((m) => m.id)).size).toBe(4);
    expect(queueMessagesOf(batch)).toBe(2);
    expect(batch[3]).toBe(plain.msg);

    batch[0]!.ack();
    batch[1]!.ack();
    batch[1]!.retry({ delaySeconds: 5 }); // a second word from the same delivery changes nothing
    expect(pack.said).toEqual([]);
    batch[2]!.ack();
    expect(pack.said).toEqual(["ack"]);
  });

  it("retries the pack, after the longest delay asked, when any of its deliveries asks", () => {
    const pack = message<DeliveryPack>("m1", { kind: "deliveries", deliveries: [part(1), part(2), part(3)] });
    const [a, b, c] = unpackBatch([pack.msg]);
    a!.retry({ delaySeconds: 1 });
    b!.ack();
    c!.retry({ delaySeconds: 20 });
    expect(pack.said).toEqual(["retry 20"]);
  });
});

/**
 * Ingest's sends (src/delivery/ingest-sends.ts): after the answer, and shared by the requests that
 * arrive while a send is in flight, so that events with one subscriber share queue messages.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { DeliveryMessage, DeliveryPack } from "../src/delivery/messages";
import { sendFromIngest } from "../src/delivery/ingest-sends";

/** An environment whose queue records each sendBatch's messages, answering after `ms`. */
function recording(ms = 5) {
  const calls: string[][][] = [];
  const sendBatch = async (batch: Iterable<{ body: DeliveryMessage | DeliveryPack }>) => {
    await new Promise((r) => setTimeout(r, ms));
    calls.push([...batch].map((m) => (m.body.kind === "deliveries" ? m.body.deliveries.map((d) => d.delivery_id) : [m.body.delivery_id])));
  };
  return { env: { ...env, DELIVERY_QUEUE: { sendBatch } as unknown as typeof env.DELIVERY_QUEUE }, calls };
}

const item = (i: number) => ({ delivery_id: `dlv_ingest_${i}`, attempt: 1, organisation_id: 1, webhook_id: "wh_1", event_id: `evt_${i}` });

describe("ingest's sends", () => {
  it("go out after the answer, and what arrives while one is in flight goes together, packed", async () => {
    const q = recording();
    const kept: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => void kept.push(p);
    // Thirty requests at once: the first leads and sends its own at once; the others wait for
    // that send and share the next one.
    for (let i = 0; i < 30; i++) await sendFromIngest(q.env, [item(i)], waitUntil);
    expect(q.calls).toEqual([]);
    expect(kept).toHaveLength(1);
    await Promise.all(kept);
    expect(q.calls.map((c) => c.length)).toEqual([1, 3]);
    expect(q.calls.flat(2)).toEqual(Array.from({ length: 30 }, (_, i) => `dlv_ingest_${i}`));

    // Once that lead is over, the next request leads again.
    await sendFromIngest(q.env, [item(30)], waitUntil);
    expect(kept).toHaveLength(2);
    await Promise.all(kept);
    expect(q.calls.at(-1)).toEqual([["dlv_ingest_30"]]);
  });

  it("are made before the answer when there is no request to keep them going", async () => {
    const q = recording();
    await sendFromIngest(q.env, [item(1), item(2)]);
    expect(q.calls).toEqual([[["dlv_ingest_1", "dlv_ingest_2"]]]);
  });
});

/** The gate on its own, with timed tasks standing in for sends: who gets a slot, and when. */
import { describe, expect, it } from "vitest";
import { CONNECTIONS_PER_INVOCATION, ConnectionBudget, runThroughGate, SLOTS_PER_WEBHOOK } from "../src/delivery/connection-gate";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Items that each take `ms`, recording when they start and how many run at once. */
function workload(spec: { webhookId: string; ms: number }[]) {
  const t0 = Date.now();
  const log = { started: [] as { i: number; webhookId: string; at: number }[], running: 0, most: 0, perWebhookMost: new Map<string, number>() };
  const perWebhook = new Map<string, number>();
  const items = spec.map(({ webhookId, ms }, i) => ({
    webhookId,
    i,
    run: async () => {
      log.started.push({ i, webhookId, at: Date.now() - t0 });
      log.most = Math.max(log.most, ++log.running);
      perWebhook.set(webhookId, (perWebhook.get(webhookId) ?? 0) + 1);
      log.perWebhookMost.set(webhookId, Math.max(log.perWebhookMost.get(webhookId) ?? 0, perWebhook.get(webhookId)!));
      await sleep(ms);
      perWebhook.set(webhookId, perWebhook.get(webhookId)! - 1);
      log.running--;
      return i;
    },
  }));
  return { items, log };
}

describe("the connection gate", () => {
  it("runs at most six at once and finishes everything", async () => {
    const { items, log } = workload(Array.from({ length: 20 }, (_, i) => ({ webhookId: `wh_${i % 7}`, ms: 20 })));
    const done: number[] = [];
    const unstarted = await runThroughGate<number, (typeof items)[number]>(items, { windowMs: 5_000 }, (_, r) => done.push(r));
    expect(unstarted).toEqual([]);
    expect(done.sort((a, b) => a - b)).toEqual(items.map((x) => x.i));
    expect(log.most).toBe(CONNECTIONS_PER_INVOCATION);
  });

  it("gives a hanging webhook three slots while others wait, and the others the rest", async () => {
    const spec = [
      ...Array.from({ length: 10 }, () => ({ webhookId: "hanging", ms: 400 })),
      ...Array.from({ length: 10 }, (_, i) => ({ webhookId: `ok_${i}`, ms: 10 })),
    ];
    const { items, log } = workload(spec);
    await runThroughGate(items, { windowMs: 5_000 }, () => {});
    // Until the last healthy item started, the hanging webhook held no more than its cap...
    const lastHealthy = log.started.findLastIndex((s) => s.webhookId !== "hanging");
    expect(log.started.slice(0, lastHealthy).filter((s) => s.webhookId === "hanging").length).toBeLessThanOrEqual(SLOTS_PER_WEBHOOK);
    // ...so every healthy item started long before a hanging one could free its slot.
    expect(log.started[lastHealthy]!.at).toBeLessThan(300);
    // Once nobody else waits, it may use every slot (it delays no one).
    expect(log.perWebhookMost.get("hanging")).toBe(CONNECTIONS_PER_INVOCATION);
  });

  it("lets the last webhook waiting use every slot", async () => {
    const { items, log } = workload(Array.from({ length: 10 }, () => ({ webhookId: "alone", ms: 30 })));
    await runThroughGate(items, { windowMs: 5_000 }, () => {});
    expect(log.perWebhookMost.get("alone")).toBe(CONNECTIONS_PER_INVOCATION);
  });

  it("gives a free slot to the webhook with the fewest in flight", async () => {
    // a has three waiting and arrived first; b and c one each: b and c must not wait behind a.
    const { items, log } = workload([
      { webhookId: "a", ms: 50 }, { webhookId: "a", ms: 50 }, { webhookId: "a", ms: 50 }, { webhookId: "a", ms: 50 },
      { webhookId: "b", ms: 50 }, { webhookId: "c", ms: 50 },
    ]);
    await runThroughGate(items, { slots: 3, windowMs: 5_000 }, () => {});
    expect(log.started.slice(0, 3).map((s) => s.webhookId).sort()).toEqual(["a", "b", "c"]);
  });

  it("hands back what did not start before the window closed, and starts each timer with its send", async () => {
    const { items, log } = workload(Array.from({ length: 12 }, () => ({ webhookId: "slow", ms: 300 })));
    const unstarted = await runThroughGate(items, { windowMs: 100 }, () => {});
    // Six started at once; none of the others got a connection within 100 ms.
    expect(log.started).toHaveLength(CONNECTIONS_PER_INVOCATION);
    expect(unstarted.map((x) => x.i)).toEqual(items.slice(CONNECTIONS_PER_INVOCATION).map((x) => x.i));
  });

  it("shares the six with queue sends: one asked for takes the next free connection before any new send, and together they never pass six", async () => {
    const budget = new ConnectionBudget();
    const order: string[] = [];
    let open = 0;
    let most = 0;
    const opened = () => (most = Math.max(most, ++open));
    const items = Array.from({ length: 12 }, (_, i) => ({
      webhookId: `wh_${i % 4}`,
      run: async () => {
        order.push("send");
        opened();
        await sleep(60);
        open--;
      },
    }));
    const queueSend = () =>
      budget.use(async () => {
        order.push("queue");
        opened();
        await sleep(20);
        open--;
      });
    const gate = runThroughGate(items, { windowMs: 5_000, budget }, () => {});
    // Asked for while all six are sending: they wait for the first to finish, then go ahead of the other six sends.
    await sleep(10);
    await Promise.all([queueSend(), queueSend(), queueSend(), gate]);
    expect(order.slice(0, 6)).toEqual(Array(6).fill("send"));
    expect(order.slice(6, 9)).toEqual(["queue", "queue", "queue"]);
    expect(order.filter((o) => o === "send")).toHaveLength(12);
    expect(most).toBe(CONNECTIONS_PER_INVOCATION);
    // With nobody sending, a queue send does not wait.
    const t = Date.now();
    await queueSend();
    expect(Date.now() - t).toBeLessThan(60);
  });

  it("rejects when an item throws (a crash), so the batch comes back", async () => {
    const items = [{ webhookId: "x", run: async () => { throw new Error("boom"); } }];
    await expect(runThroughGate(items, { windowMs: 1_000 }, () => {})).rejects.toThrow("boom");
  });
});

/**
 * The table of contents. HTTP goes to the Hono app; queue batches to the delivery pipeline
 * (or the dead-letter handler); the cron trigger to maintenance. Internal Workers can also call
 * the ingest and check operations over a service binding (EventsRpc).
 */
import { app } from "./app";
import { consumeDeliveryBatch } from "./delivery/consume";
import { consumeDeadLetters } from "./delivery/dead-letter";
import { laneOfQueue } from "./delivery/lanes";
import type { JobMessage, QueueMessage } from "./delivery/messages";
import { unpackBatch } from "./delivery/packs";
import { armLocalClock } from "./durable/sweep-clock";
import type { Env } from "./env";
import { consumeExports } from "./exports/consume";
import { runMaintenance } from "./maintenance";
import { consumeRecoveries, isRecoveryMessage } from "./recoveries/consume";

export { WebhookHealth } from "./durable/webhook-health";
export { SweepClock } from "./durable/sweep-clock";
export { DeliveryLog } from "./durable/delivery-log/object";
export { EventShard } from "./durable/event-shard/object";
export { OrganisationFanout } from "./durable/organisation-fanout";
export { EventsRpc } from "./rpc";

export default {
  fetch(request, env, ctx) {
    armLocalClock(env, ctx);
    return app.fetch(request, env, ctx);
  },

  async queue(batch, env, ctx) {
    armLocalClock(env, ctx);
    if (batch.queue === "nafsi-exports") {
      // The jobs queue: exports, and recovery steps (src/recoveries/).
      const jobs = batch.messages as readonly Message<JobMessage>[];
      await consumeRecoveries(jobs.filter(isRecoveryMessage), env);
      return consumeExports(jobs.filter((m) => !isRecoveryMessage(m)), env);
    }
    if (batch.queue.endsWith("-dlq")) return consumeDeadLetters(batch.messages, env);
    // One message per delivery, packs taken apart (src/delivery/packs.ts).
    if (await consumeDeliveryBatch(unpackBatch(batch.messages), env, laneOfQueue(batch.queue))) batch.ackAll();
  },

  async scheduled(_controller, env) {
    await runMaintenance(env);
  },
} satisfies ExportedHandler<Env, QueueMessage>;

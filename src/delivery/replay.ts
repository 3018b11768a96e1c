import type { Env } from "../env";
import { webhookPartitions } from "../storage/webhook-partitions";
import { deliveryLog } from "../storage/stubs";
import { enqueueDeliveries, type Enqueued } from "./enqueue";
import { messageOf } from "./resend";

const REPLAY_LIMIT = 10_000;

/**
 * On resume with replay_skipped: skipped deliveries become pending again and are enqueued, from
 * the webhook's partitions oldest day first, one after another so the limit holds across them
 * (a month is at most 32 calls). Each keeps the revision (URL, secret, headers) it was created
 * with, and its attempt count. Up to 10,000 take 4 s to enqueue at the paced rate; whatever the
 * queue refuses stays pending and its partition's sweep sends it once overdue.
 */
export async function replaySkipped(env: Env, organisationId: number, webhookId: string): Promise<number> {
  const now = Date.now();
  const messages: Enqueued[] = [];
  for (const scope of await webhookPartitions(env, organisationId, webhookId)) {
    const left = REPLAY_LIMIT - messages.length;
    if (left <= 0) break;
    const replayed = await deliveryLog(env, organisationId, webhookId, scope.day).replaySkipped(scope, left, now);
    messages.push(...replayed.map((r) => messageOf(scope, r)));
  }
  await enqueueDeliveries(env, messages);
  return messages.length;
}

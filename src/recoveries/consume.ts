import type { JobMessage, RecoveryMessage } from "../delivery/messages";
import type { Env } from "../env";
import { failRecovery } from "../db/recoveries";
import { RECOVERY_GAVE_UP, RECOVERY_MAX_TRIES } from "./policy";
import { runRecoveryStep } from "./run-step";

export const isRecoveryMessage = (m: Message<JobMessage>): m is Message<RecoveryMessage> => m.body.kind === "recovery";

/** Recovery steps on the nafsi-exports queue (the jobs queue): one step per message, as exports take one invocation per message. */
export async function consumeRecoveries(messages: readonly Message<RecoveryMessage>[], env: Env): Promise<void> {
  for (const msg of messages) {
    const recoveryId = msg.body.recovery_id;
    try {
      const run = await runRecoveryStep(env, recoveryId);
      if (run.outcome === "busy") {
        // Another invocation runs a step. A first delivery is a duplicate (or the sweep's copy)
        // and goes; a redelivery may be this message's own try that died holding the lease.
        if (msg.attempts > 1) msg.retry({ delaySeconds: Math.max(1, Math.ceil((run.leaseUntil - Date.now()) / 1000)) });
        else msg.ack();
        continue;
      }
      // The next step is a new message at the back of the queue, so exports and other
      // recoveries take turns; a retry of this one would read as a failed try.
      if (run.outcome === "more") await env.EXPORT_QUEUE.send({ kind: "recovery", recovery_id: recoveryId });
      if (run.outcome !== "idle") console.log(JSON.stringify({ level: "info", msg: `recovery step ${run.outcome}`, recoveryId, ...run }));
      msg.ack();
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "recovery step failed", recoveryId, attempt: msg.attempts, error: String(err) }));
      // Tries across messages (the sweep's included) are counted in D1 by each claim.
      if (msg.attempts >= RECOVERY_MAX_TRIES) {
        await failRecovery(env.DB, recoveryId, RECOVERY_GAVE_UP);
        msg.ack();
      } else {
        msg.retry({ delaySeconds: 5 * msg.attempts });
      }
    }
  }
}

import type { QueueMessage } from "../delivery/messages";
import type { Env } from "../env";
import { EXPORT_MAX_ATTEMPTS, giveUpExport } from "./give-up";
import { runExport } from "./run-export";

/** The nafsi-exports queue: one export invocation per message, one after another. */
export async function consumeExports(messages: readonly Message<QueueMessage>[], env: Env): Promise<void> {
  for (const msg of messages) {
    if (msg.body.kind !== "export") {
      msg.ack();
      continue;
    }
    const exportId = msg.body.export_id;
    try {
      const run = await runExport(env, exportId);
      if (run.outcome === "busy") {
        // Another invocation holds the export. A first delivery is a duplicate (or the sweep's
        // copy) and goes; a redelivery may be this message's own try that died holding the
        // lease, so it comes back once the lease has run out.
        if (msg.attempts > 1) msg.retry({ delaySeconds: Math.max(1, Math.ceil((run.leaseUntil - Date.now()) / 1000)) });
        else msg.ack();
        continue;
      }
      // A pause is planned, not a failure: the export goes on in a new message. A retry of
      // this one would count against the queue's max_retries and read as a failed try here.
      // The new message joins the back of the queue, so exports running at once take turns.
      if (run.outcome === "paused") await env.EXPORT_QUEUE.send({ kind: "export", export_id: exportId });
      if (run.outcome !== "idle") console.log(JSON.stringify({ level: "info", msg: `export ${run.outcome}`, exportId, ...run }));
      msg.ack();
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "export failed", exportId, attempt: msg.attempts, error: String(err) }));
      // This message's last try fails the export at once. Tries across messages (the sweep's
      // included) are counted in D1 by each claim, which refuses one past the last. The upload
      // stays open: the next try goes on from the last checkpoint.
      if (msg.attempts >= EXPORT_MAX_ATTEMPTS) {
        await giveUpExport(env, exportId);
        msg.ack();
      } else {
        msg.retry({ delaySeconds: 5 * msg.attempts });
      }
    }
  }
}

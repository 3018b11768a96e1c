import type { QueueMessage } from "../delivery/messages";
import { failExport } from "../db/exports";
import type { Env } from "../env";
import { EXPORT_GAVE_UP, EXPORT_MAX_ATTEMPTS, runExport } from "./run-export";


/** The nafsi-exports queue: one export job per message, one after another. */
export async function consumeExports(messages: readonly Message<QueueMessage>[], env: Env): Promise<void> {
  for (const msg of messages) {
    if (msg.body.kind !== "export") {
      msg.ack();
      continue;
    }
    const exportId = msg.body.export_id;
    try {
      const run = await runExport(env, exportId);
      if (run) console.log(JSON.stringify({ level: "info", msg: "export done", exportId, ...run }));
      msg.ack();
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "export failed", exportId, attempt: msg.attempts, error: String(err) }));
      // This message's last try fails the export at once. Tries across messages (the sweep's
      // included) are counted in D1 by each claim, which refuses one past the last.
      if (msg.attempts >= EXPORT_MAX_ATTEMPTS) {
        await failExport(env.DB, exportId, EXPORT_GAVE_UP);
        msg.ack();
      } else {
        msg.retry({ delaySeconds: 5 * msg.attempts });
      }
    }
  }
}

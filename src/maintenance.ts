import type { Env } from "./env";
import { deleteOrphanedExportFiles } from "./exports/delete-files";
import { sweepStaleExports } from "./exports/sweep";
import { sweepStaleRecoveries } from "./recoveries/sweep";
import { purgeExpiredExports, purgeFinishedRecoveries } from "./maintenance/retention";
import { eraseExpiredSecrets } from "./maintenance/secret-expiry";

/** What the cron trigger (and the local clock) runs: erase rotated-out secrets, re-enqueue exports and recoveries that fell out of the queue, purge expired exports, finished recoveries past the log retention and deleted webhooks' export files. Deliveries that fell out are each partition's own sweep (src/durable/delivery-log/sweep.ts). */
export async function runMaintenance(env: Env): Promise<void> {
  // First: a secret past its overlap must not wait on the other chores (or their failures).
  const erased = await eraseExpiredSecrets(env.DB, Date.now());
  if (erased > 0) console.log(JSON.stringify({ level: "info", msg: "erased previous secrets past their overlap", rows: erased }));
  const exports = await sweepStaleExports(env);
  if (exports.requeued + exports.failed > 0) console.log(JSON.stringify({ level: "info", msg: "stale exports", ...exports }));
  const recoveries = await sweepStaleRecoveries(env);
  if (recoveries.requeued + recoveries.failed > 0) console.log(JSON.stringify({ level: "info", msg: "stale recoveries", ...recoveries }));
  // The logs' retention is the objects' own (src/maintenance/retention.ts): only exports and
  // recoveries are D1's.
  const expired = await purgeExpiredExports(env);
  if (expired > 0) console.log(JSON.stringify({ level: "info", msg: "purged by retention", exports: expired }));
  const recoveriesPurged = await purgeFinishedRecoveries(env);
  if (recoveriesPurged > 0) console.log(JSON.stringify({ level: "info", msg: "purged by retention", recoveries: recoveriesPurged }));
  const orphaned = await deleteOrphanedExportFiles(env);
  if (orphaned > 0) console.log(JSON.stringify({ level: "info", msg: "deleted files of deleted webhooks' exports", files: orphaned }));
}

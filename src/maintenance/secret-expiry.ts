/**
 * A rotated-out secret is erased when its overlap ends (routes/secret.ts). Delivery already
 * ignores it past its expiry (src/delivery/attempt.ts); this takes it out of storage, within a
 * minute (the cron trigger's period).
 */

/**
 * Across organisations, like retention. Few rows hold a previous secret at any time; the partial
 * indexes of migration 0010 find them without a scan.
 */
export async function eraseExpiredSecrets(d1: D1Database, now: number): Promise<number> {
  const erase = (table: string) =>
    d1.prepare(
      `UPDATE ${table} SET previous_secret_enc = NULL, previous_secret_expires_at = NULL
        WHERE previous_secret_enc IS NOT NULL AND previous_secret_expires_at <= ?`,
    ).bind(now);
  const results = await d1.batch([erase("webhooks"), erase("webhook_revisions")]);
  return results.reduce((n, r) => n + r.meta.changes, 0);
}

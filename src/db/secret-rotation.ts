/**
 * The tenant-scoped write of a secret rotation (routes/secret.ts). A webhook's secret lives sealed on the webhook
 * row (what test events and checks sign with) and on each of its revisions (what queued
 * deliveries sign with): a rotation changes them all at once.
 */

export interface Rotation {
  /** The new secret, sealed. */
  secretEnc: string;
  secretHint: string;
  /** When the previous secret stops signing; null: at once (nothing kept). */
  previousExpiresAt: number | null;
  now: number;
}

/**
 * Every row's own secret becomes its previous one (or is dropped when there is no overlap), and
 * the new secret its current one. Every revision, not just the current one: a delivery pinned to
 * an older revision, retried later, must be signed like everything else, and after the overlap
 * no row may still hold the old secret. A previous secret of an earlier rotation still in its
 * overlap is dropped: one previous secret at a time. One batch, so it is all or nothing.
 */
export async function rotateSecret(d1: D1Database, organisationId: number, webhookId: string, r: Rotation): Promise<boolean> {
  const keep = r.previousExpiresAt !== null ? 1 : 0;
  const [webhook] = await d1.batch([
    d1
      .prepare(
        `UPDATE webhooks SET previous_secret_enc = CASE WHEN ?1 THEN secret_enc END, previous_secret_expires_at = ?2,
                secret_enc = ?3, secret_hint = ?4, updated_at = ?5
          WHERE organisation_id = ?6 AND id = ?7`,
      )
      .bind(keep, r.previousExpiresAt, r.secretEnc, r.secretHint, r.now, organisationId, webhookId),
    d1
      .prepare(
        `UPDATE webhook_revisions SET previous_secret_enc = CASE WHEN ?1 THEN secret_enc END, previous_secret_expires_at = ?2, secret_enc = ?3
          WHERE organisation_id = ?4 AND webhook_id = ?5`,
      )
      .bind(keep, r.previousExpiresAt, r.secretEnc, organisationId, webhookId),
  ]);
  return (webhook?.meta.changes ?? 0) > 0;
}

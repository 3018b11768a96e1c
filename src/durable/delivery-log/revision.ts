/**
 * Which revision an attempt was sent with, as its row keeps it. Nearly always the revision its
 * delivery was created with, so the row says so with NULL instead of repeating the id (30
 * bytes). A resend gives the delivery the webhook's current revision (requeue.ts), and the
 * delivery then keeps the one it was created with in origin_revision_id, so the NULLs of its
 * earlier attempts still mean that one; an attempt sent with another revision names it. An
 * attempt sent with none (a skip) stores "" (no revision id is empty).
 */
export interface Origin {
  revision_id: string;
  origin_revision_id: string | null;
}

/** The revision the delivery was created with. */
export const originOf = (d: Origin) => d.origin_revision_id ?? d.revision_id;

export const packRevision = (revisionId: string | null, d: Origin): string | null =>
  revisionId === null ? "" : revisionId === originOf(d) ? null : revisionId;

export const unpackRevision = (stored: string | null, d: Origin): string | null => (stored === null ? originOf(d) : stored === "" ? null : stored);

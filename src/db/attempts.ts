/**
 * Tenant-scoped reads of the delivery log. The rows live in the webhook's DeliveryLog partitions
 * (src/storage/log-pages.ts); D1 answers only whether the webhook is the organisation's. A page
 * is newest first, keyed on (created_at, id), so attempts logged while someone pages never shift
 * or repeat a row.
 */
import type { Env } from "../env";
import { fieldError } from "../errors";
import type { AttemptRecord, LogFilter, Position } from "../storage/contract";
import { livePartitions, openLog } from "../storage/log-pages";
import { positionOf } from "../storage/merge-pages";
import { ownsWebhook } from "./webhooks";

export type { AttemptRecord, LogFilter, Position } from "../storage/contract";

/** One page, and the position after its last row when there may be more. */
export interface LogPage {
  rows: AttemptRecord[];
  next: Position | null;
}

/**
 * A page of the log of one of the organisation's webhooks; null when it has no such webhook.
 * Each partition is asked for a whole page and one more row, so the page takes one call per
 * partition, all at once: any one of them may hold every row of it.
 */
export async function readLogPage(env: Env, organisationId: number, webhookId: string, f: LogFilter, after: Position | null, limit: number): Promise<LogPage | null> {
  // At once: the head is named by the asking organisation too, so a webhook that is not its own
  // gets an empty head (nothing stored), never another organisation's partitions.
  const [owner, days] = await Promise.all([
    ownsWebhook(env.DB, organisationId, webhookId),
    livePartitions(env, organisationId, webhookId),
  ]);
  if (!owner) return null;
  const rows = await openLog(env, organisationId, webhookId, days, f, after, () => ({ first: limit + 1, max: limit + 1 })).take(limit + 1);
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return { rows: shown, next: rows.length > limit && last ? positionOf(last) : null };
}

/** Cursors are opaque to clients: base64url of "<created_at>.<id>". */
export function encodeCursor(p: Position): string {
  return btoa(`${p.createdAt}.${p.id}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeCursor(cursor: string): Position {
  let text: string;
  try {
    text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw fieldError("cursor", "is not a cursor from this list");
  }
  const match = /^(\d{1,16})\.([A-Za-z0-9_]{1,64})$/.exec(text);
  if (!match) throw fieldError("cursor", "is not a cursor from this list");
  return { createdAt: Number(match[1]), id: match[2]! };
}

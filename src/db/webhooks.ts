/** Tenant-scoped webhook queries: every function takes the organisation id and filters by it. */
import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Env } from "../env";
import type { Db } from "./client";
import { webhookRevisions, webhooks, webhookStats, type WebhookRow } from "./schema";
import type { ExportFile } from "./exports";
import { changingFanout } from "./fanout-cache";

export type WebhookWithStats = WebhookRow & {
  stats: { total: number; successful: number; lastTriggeredAt: number | null } | null;
};

const statsColumns = {
  total: webhookStats.total,
  successful: webhookStats.successful,
  lastTriggeredAt: webhookStats.lastTriggeredAt,
};

export async function findWebhook(d: Db, organisationId: number, id: string): Promise<WebhookWithStats | null> {
  const row = await d
    .select({ webhook: webhooks, stats: statsColumns })
    .from(webhooks)
    .leftJoin(webhookStats, eq(webhookStats.webhookId, webhooks.id))
    .where(and(eq(webhooks.organisationId, organisationId), eq(webhooks.id, id)))
    .get();
  return row ? { ...row.webhook, stats: row.stats } : null;
}

/** Exported for test/query-plans.test.ts: a key lookup, asked before every read of a webhook's log, statistics or chart. */
export const OWNER_SQL = "SELECT 1 AS found FROM webhooks WHERE organisation_id = ? AND id = ?";

/** Whether the organisation has this webhook (the check before reading its objects). */
export async function ownsWebhook(d1: D1Database, organisationId: number, id: string): Promise<boolean> {
  return (await d1.prepare(OWNER_SQL).bind(organisationId, id).first()) !== null;
}

/** Which of these ids are the organisation's webhooks still (a deleted one's deliveries are neither shown pending nor handed over). D1 binds at most 100 parameters: 90 ids a statement, one batch. */
export async function ownedWebhooks(d1: D1Database, organisationId: number, ids: string[]): Promise<Set<string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Set();
  const parts = Array.from({ length: Math.ceil(unique.length / 90) }, (_, i) => unique.slice(i * 90, (i + 1) * 90));
  const results = await d1.batch(parts.map((part) => d1.prepare(`SELECT id FROM webhooks WHERE organisation_id = ? AND id IN (${part.map(() => "?").join(",")})`).bind(organisationId, ...part)));
  return new Set(results.flatMap((res) => (res.results as { id: string }[]).map((r) => r.id)));
}

export type Subscriber = { id: string; status: "active" | "paused"; revision_id: string };
/** An event webhook as the organisation's fan-out keeps it (src/durable/organisation-fanout.ts). */
export type FanoutHook = Subscriber & { events: string[] };

/**
 * Exported for test/query-plans.test.ts: the fan-out's one D1 statement. The organisation's
 * event webhooks that take events (active or paused) with what they subscribe to, then one row
 * with no webhook if the organisation exists (by its key, whatever the planner's statistics):
 * no row at all means no such organisation.
 */
export const FANOUT_SQL = `SELECT id, status, revision_id, events FROM webhooks
  WHERE organisation_id = ?1 AND type = 'event_notification' AND status IN ('active', 'paused')
UNION ALL SELECT NULL, NULL, NULL, NULL FROM organisations WHERE id = ?1`;

/** The organisation's event webhooks that take events; null when there is no such organisation. */
export async function organisationHooks(d1: Pick<D1Database, "prepare">, organisationId: number): Promise<FanoutHook[] | null> {
  const { results } = await d1.prepare(FANOUT_SQL).bind(organisationId).all<{ id: string | null; status: Subscriber["status"]; revision_id: string; events: string }>();
  if (results.length === 0) return null;
  return results.flatMap((r) => (r.id === null ? [] : [{ id: r.id, status: r.status, revision_id: r.revision_id, events: JSON.parse(r.events) as string[] }]));
}

export interface ListFilter {
  status?: WebhookRow["status"];
  type?: WebhookRow["type"];
  limit: number;
  cursor?: string;
}

/** Newest first by id (ids sort by creation time), so rows added meanwhile never shift a page. */
export async function listWebhooks(d: Db, organisationId: number, f: ListFilter): Promise<WebhookWithStats[]> {
  const rows = await d
    .select({ webhook: webhooks, stats: statsColumns })
    .from(webhooks)
    .leftJoin(webhookStats, eq(webhookStats.webhookId, webhooks.id))
    .where(
      and(
        eq(webhooks.organisationId, organisationId),
        f.status ? eq(webhooks.status, f.status) : undefined,
        f.type ? eq(webhooks.type, f.type) : undefined,
        f.cursor ? lt(webhooks.id, f.cursor) : undefined,
      ),
    )
    .orderBy(desc(webhooks.id))
    .limit(f.limit + 1)
    .all();
  return rows.map((r) => ({ ...r.webhook, stats: r.stats }));
}

/** What a write to webhooks needs besides D1: the organisation's fan-out object, told of every change (changingFanout). */
type Fanout = Pick<Env, "ORGANISATION_FANOUT">;

export async function insertWebhook(env: Fanout, d: Db, row: typeof webhooks.$inferInsert) {
  // Every write to webhooks goes through changingFanout: ingest's fan-out forgets it here.
  await changingFanout(env, row.organisationId, () => d.batch([
    d.insert(webhooks).values(row),
    d.insert(webhookRevisions).values({
      id: row.revisionId,
      webhookId: row.id,
      organisationId: row.organisationId,
      url: row.url,
      method: row.method,
      retrySchedule: row.retrySchedule,
      headersEnc: row.headersEnc,
      secretEnc: row.secretEnc,
      createdAt: row.createdAt,
    }),
    d.insert(webhookStats).values({ webhookId: row.id, organisationId: row.organisationId, total: 0, successful: 0, failed: 0 }),
  ]));
}

/** Applies an edit; when anything a delivery is sent with changed, starts a new revision. */
export async function updateWebhook(
  env: Fanout,
  d: Db,
  organisationId: number,
  id: string,
  changes: Partial<typeof webhooks.$inferInsert>,
  newRevision: { id: string } | null,
) {
  const where = and(eq(webhooks.organisationId, organisationId), eq(webhooks.id, id));
  if (!newRevision) {
    await changingFanout(env, organisationId, () => d.update(webhooks).set(changes).where(where));
    return;
  }
  await changingFanout(env, organisationId, () => d.batch([
    d.update(webhooks).set({ ...changes, revisionId: newRevision.id }).where(where),
    d.insert(webhookRevisions).select(
      d
        .select({
          id: sql`${newRevision.id}`.as("id"),
          webhookId: webhooks.id,
          organisationId: webhooks.organisationId,
          url: webhooks.url,
          method: webhooks.method,
          retrySchedule: webhooks.retrySchedule,
          headersEnc: webhooks.headersEnc,
          secretEnc: webhooks.secretEnc,
          // A rotation's overlap goes on through an edit of anything else.
          previousSecretEnc: webhooks.previousSecretEnc,
          previousSecretExpiresAt: webhooks.previousSecretExpiresAt,
          createdAt: webhooks.updatedAt,
        })
        .from(webhooks)
        .where(where),
    ),
  ]));
}

/** Moves a webhook between statuses; answers the updated row, or null when it was not in `from`. */
export async function transitionWebhook(
  env: Fanout,
  d: Db,
  organisationId: number,
  id: string,
  from: WebhookRow["status"][],
  to: WebhookRow["status"],
  pausedReason: string | null,
  now: number,
): Promise<boolean> {
  const res = await changingFanout(env, organisationId, () =>
    d
      .update(webhooks)
      .set({ status: to, pausedReason, updatedAt: now })
      .where(and(eq(webhooks.organisationId, organisationId), eq(webhooks.id, id), inArray(webhooks.status, from)))
      .returning({ id: webhooks.id }),
  );
  return res.length > 0;
}

/**
 * Deletes a webhook's control-plane rows: the webhook (its revisions, stats and export rows
 * cascade, so nothing new is delivered) and its notifications, in one batch. Its traffic
 * (deliveries, attempts, totals) is in its DeliveryLog partitions, which its head drops by alarm
 * once told to forget the webhook (src/durable/health-client.ts forgetHealth): no request
 * deletes millions of rows.
 */
export async function deleteWebhook(env: Fanout & Pick<Env, "DB">, organisationId: number, id: string): Promise<{ exportFiles: ExportFile[]; deleted: boolean }> {
  const d1 = env.DB;
  // One batch, one transaction: the export rows go with the webhook (ON DELETE CASCADE), and
  // their files are recorded first, so that a file the caller fails to delete is still found
  // by the maintenance run (src/exports/delete-files.ts).
  const [recorded, removed] = await changingFanout(env, organisationId, () => d1.batch<ExportFile>([
    d1
      .prepare(
        `INSERT OR IGNORE INTO orphaned_export_files (object_key, upload_id, created_at)
           SELECT object_key, upload_id, ? FROM exports WHERE organisation_id = ? AND webhook_id = ? AND object_key IS NOT NULL
           RETURNING object_key, upload_id`,
      )
      .bind(Date.now(), organisationId, id),
    d1.prepare("DELETE FROM webhooks WHERE organisation_id = ? AND id = ?").bind(organisationId, id),
    d1.prepare("DELETE FROM notifications WHERE organisation_id = ? AND webhook_id = ?").bind(organisationId, id),
  ]));
  return { exportFiles: recorded?.results ?? [], deleted: (removed?.meta.changes ?? 0) > 0 };
}

import { Hono } from "hono";
import { and, desc, eq } from "drizzle-orm";
import { db } from "../db/client";
import { apiKeys, notifications, organisations } from "../db/schema";
import { notFound } from "../errors";
import { iso } from "../lib/encoding";
import { newId } from "../lib/ids";
import { jsonBody, requireAdmin, type AppEnv } from "../middleware";
import { generateApiKey, hashApiKey } from "../security/api-keys";
import { ApiKeyCreate, OrganisationCreate } from "../schemas/organisation";
import { validate } from "../validate";

/**
 * Operator routes: organisations, their API keys (shown once, stored as a hash; listed and revoked
 * by id) and the emails sent to them, with how each one's delivery went.
 */
export const organisationRoutes = new Hono<AppEnv>();
organisationRoutes.use(requireAdmin);

organisationRoutes.post("/", jsonBody(), validate("json", OrganisationCreate), async (c) => {
  const input = c.req.valid("json");
  const now = Date.now();
  const apiKey = generateApiKey();
  // One transaction: an organisation never exists without its first key.
  const [inserted] = await c.env.DB.batch<{ id: number }>([
    c.env.DB.prepare("INSERT INTO organisations (name, notification_email, created_at) VALUES (?, ?, ?) RETURNING id")
      .bind(input.name, input.notification_email, now),
    c.env.DB.prepare("INSERT INTO api_keys (id, organisation_id, key_hash, created_at) VALUES (?, last_insert_rowid(), ?, ?)")
      .bind(newId("key", now), await hashApiKey(apiKey), now),
  ]);
  const org = { id: inserted!.results[0]!.id, name: input.name, notificationEmail: input.notification_email };
  return c.json(
    { id: org!.id, name: org!.name, notification_email: org!.notificationEmail, api_key: apiKey, created_at: iso(now) },
    201,
  );
});

/** The organisation of the path, or 404. Digits only: Number() would also read "1e0" or " 1" as 1. */
async function organisationOf(database: D1Database, raw: string): Promise<{ id: number }> {
  const id = /^[1-9]\d{0,14}$/.test(raw) ? Number(raw) : NaN;
  const org = Number.isSafeInteger(id) ? await db(database).select({ id: organisations.id }).from(organisations).where(eq(organisations.id, id)).get() : undefined;
  if (!org) throw notFound("Organisation");
  return org;
}

organisationRoutes.post("/:id/api-keys", jsonBody(), validate("json", ApiKeyCreate), async (c) => {
  const org = await organisationOf(c.env.DB, c.req.param("id"));
  const d = db(c.env.DB);
  const now = Date.now();
  const apiKey = generateApiKey();
  const keyId = newId("key", now);
  await d.insert(apiKeys).values({ id: keyId, organisationId: org.id, keyHash: await hashApiKey(apiKey), createdAt: now });
  return c.json({ id: keyId, api_key: apiKey, created_at: iso(now) }, 201);
});

organisationRoutes.get("/:id/api-keys", async (c) => {
  const org = await organisationOf(c.env.DB, c.req.param("id"));
  const rows = await db(c.env.DB)
    .select({ id: apiKeys.id, createdAt: apiKeys.createdAt })
    .from(apiKeys)
    .where(eq(apiKeys.organisationId, org.id))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
    .all();
  return c.json({ data: rows.map((k) => ({ id: k.id, created_at: iso(k.createdAt) })) });
});

/** Revocation takes effect on the next request: keys are looked up on every call, never cached. */
organisationRoutes.delete("/:id/api-keys/:key_id", async (c) => {
  const org = await organisationOf(c.env.DB, c.req.param("id"));
  const deleted = await db(c.env.DB)
    .delete(apiKeys)
    .where(and(eq(apiKeys.id, c.req.param("key_id")), eq(apiKeys.organisationId, org.id)))
    .returning({ id: apiKeys.id })
    .get();
  if (!deleted) throw notFound("API key");
  return c.body(null, 204);
});

/** The newest 100 is enough to see whether pause notices are reaching the organisation. */
const NOTIFICATIONS_LISTED = 100;

organisationRoutes.get("/:id/notifications", async (c) => {
  const org = await organisationOf(c.env.DB, c.req.param("id"));
  const rows = await db(c.env.DB)
    .select()
    .from(notifications)
    .where(eq(notifications.organisationId, org.id))
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(NOTIFICATIONS_LISTED)
    .all();
  const data = rows.map((n) => ({
    id: n.id, webhook_id: n.webhookId, kind: n.kind, recipient: n.recipient, status: n.status, tries: n.tries,
    error: n.error, created_at: iso(n.createdAt), updated_at: iso(n.updatedAt || n.createdAt),
  }));
  return c.json({ data });
});

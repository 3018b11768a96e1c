import { Hono } from "hono";
import { db } from "../db/client";
import { deleteWebhook, findWebhook, insertWebhook, listWebhooks, transitionWebhook, updateWebhook } from "../db/webhooks";
import { forgetHealth, resetFailures } from "../durable/health-client";
import { deleteExportFiles } from "../exports/delete-files";
import { retryTransient } from "../lib/transient";
import { replaySkipped } from "../delivery/replay";
import { isProduction } from "../env";
import { ApiError, fieldError, notFound } from "../errors";
import { newId } from "../lib/ids";
import { jsonBody, type AppEnv } from "../middleware";
import { generateWebhookSecret } from "../security/api-keys";
import { restoreMaskedHeaders } from "../security/header-policy";
import { seal } from "../security/secret-box";
import { checkUsableJsonSchema } from "../schemas/json-schema";
import { RETRY_SCHEDULE_CHECK_RULE } from "../schemas/retry-schedule";
import { DEFAULT_RETRY_SCHEDULE } from "../delivery/retry-policy";
import { presentWebhook, readHeaders } from "../schemas/present-webhook";
import { readStoredCriteria } from "../schemas/stored-criteria";
import { Criteria, EmptyBody, ResumeBody, WebhookListQuery, webhookSchemas, type CustomHeader, type WebhookCreate } from "../schemas/webhook";
import { validate } from "../validate";

export const webhookRoutes = new Hono<AppEnv>();

const policy = (env: AppEnv["Bindings"]) => ({ allowLocal: !isProduction(env) });

/** Criteria schemas the checks' validator could not run (an unresolved $ref) are refused on save. */
function refuseUnusableSchemas(criteria: { request_schema?: unknown; response_schema?: unknown } | undefined) {
  for (const key of ["request_schema", "response_schema"] as const) {
    const problem = criteria?.[key] == null ? null : checkUsableJsonSchema(criteria[key]);
    if (problem) throw fieldError(`criteria.${key}${problem.path ? `.${problem.path}` : ""}`, problem.message);
  }
}

/** Custom headers with masked values put back; a masked value that stands for nothing is a 400. */
function withStoredValues(sent: CustomHeader[], stored: CustomHeader[]): CustomHeader[] {
  const restored = restoreMaskedHeaders(sent, stored);
  if ("unmatched" in restored) {
    throw fieldError(`headers.${restored.unmatched}.value`, "is a masked value that matches no stored credential header of this name: send the real value");
  }
  return restored.headers;
}

webhookRoutes.post(
  "/",
  jsonBody(),
  async (c, next) => validate("json", webhookSchemas(policy(c.env)).create)(c as never, next),
  async (c) => {
    const input = c.req.valid("json" as never) as WebhookCreate;
    const headers = withStoredValues(input.headers, []);
    refuseUnusableSchemas(input.criteria);
    const organisationId = c.get("organisationId");
    const now = Date.now();
    const generated = input.secret === undefined ? generateWebhookSecret() : null;
    const secret = input.secret ?? generated!;
    const key = c.env.SECRET_ENCRYPTION_KEY;
    const id = newId("wh", now);
    await insertWebhook(c.env, db(c.env.DB), {
      id,
      organisationId,
      type: input.type,
      name: input.name,
      description: input.description,
      url: input.url,
      method: input.method,
      status: "inactive",
      events: input.type === "event_notification" ? input.events! : [],
      headersEnc: await seal(key, JSON.stringify(headers)),
      criteria: input.type === "verification_check" ? (input.criteria ?? Criteria.parse({})) : null,
      retrySchedule: input.retry_schedule ?? [...DEFAULT_RETRY_SCHEDULE],
      secretEnc: await seal(key, secret),
      secretHint: secret.slice(-4),
      failureStreak: 0,
      revisionId: newId("rev", now),
      createdAt: now,
      updatedAt: now,
    });
    const created = await findWebhook(db(c.env.DB), organisationId, id);
    const out = await presentWebhook(key, created!);
    return c.json(generated ? { ...out, secret: generated } : out, 201);
  },
);

webhookRoutes.get("/", validate("query", WebhookListQuery), async (c) => {
  const q = c.req.valid("query");
  const rows = await listWebhooks(db(c.env.DB), c.get("organisationId"), q);
  const page = rows.slice(0, q.limit);
  const data = await Promise.all(page.map((w) => presentWebhook(c.env.SECRET_ENCRYPTION_KEY, w)));
  return c.json({ data, next_cursor: rows.length > q.limit ? page[page.length - 1]!.id : null });
});

webhookRoutes.get("/:id", async (c) => {
  const w = await findWebhook(db(c.env.DB), c.get("organisationId"), c.req.param("id"));
  if (!w) throw notFound("Webhook");
  return c.json(await presentWebhook(c.env.SECRET_ENCRYPTION_KEY, w));
});

webhookRoutes.patch(
  "/:id",
  jsonBody(),
  async (c, next) => validate("json", webhookSchemas(policy(c.env)).patch)(c as never, next),
  async (c) => {
    const input = c.req.valid("json" as never) as ReturnType<typeof webhookSchemas>["patch"]["_output"];
    const organisationId = c.get("organisationId");
    const d = db(c.env.DB);
    const w = await findWebhook(d, organisationId, c.req.param("id"));
    if (!w) throw notFound("Webhook");
    if (input.events !== undefined && w.type !== "event_notification") throw fieldError("events", "applies only to event_notification webhooks");
    if (input.criteria !== undefined && w.type !== "verification_check") throw fieldError("criteria", "applies only to verification_check webhooks");
    if (input.retry_schedule !== undefined && w.type !== "event_notification") throw fieldError("retry_schedule", RETRY_SCHEDULE_CHECK_RULE);
    refuseUnusableSchemas(input.criteria);

    const key = c.env.SECRET_ENCRYPTION_KEY;
    const now = Date.now();
    const changes: Parameters<typeof updateWebhook>[4] = { updatedAt: now };
    if (input.name !== undefined) changes.name = input.name;
    if (input.description !== undefined) changes.description = input.description;
    if (input.events !== undefined) changes.events = input.events;
    // The stored criteria read leniently (a row saved under older rules stays editable), then
    // only the fields this edit names, already validated, replace theirs.
    if (input.criteria !== undefined) changes.criteria = { ...readStoredCriteria(w.criteria), ...input.criteria };
    if (input.url !== undefined) changes.url = input.url;
    if (input.method !== undefined) changes.method = input.method;
    if (input.retry_schedule !== undefined) changes.retrySchedule = input.retry_schedule;
    if (input.secret !== undefined) {
      changes.secretEnc = await seal(key, input.secret);
      changes.secretHint = input.secret.slice(-4);
      // An edit replaces the secret at once; POST /v1/webhooks/{id}/secret/rotate is the way with an overlap.
      changes.previousSecretEnc = null;
      changes.previousSecretExpiresAt = null;
    }
    if (input.headers !== undefined) {
      // A credential header sent back as it was shown (masked) keeps its stored value.
      const headers = withStoredValues(input.headers, await readHeaders(key, w.headersEnc));
      changes.headersEnc = await seal(key, JSON.stringify(headers));
    }
    const deliveryChanged = ["url", "method", "secretEnc", "headersEnc", "retrySchedule"].some((k) => k in changes);
    await updateWebhook(c.env, d, organisationId, w.id, changes, deliveryChanged ? { id: newId("rev", now) } : null);
    return c.json(await presentWebhook(key, (await findWebhook(d, organisationId, w.id))!));
  },
);

webhookRoutes.delete("/:id", async (c) => {
  const organisationId = c.get("organisationId");
  const { deleted, exportFiles } = await deleteWebhook(c.env, organisationId, c.req.param("id"));
  if (!deleted) throw notFound("Webhook");
  // Both tried whatever the other does: a repeated DELETE is a 404 and would not come back to
  // them, so a blip is tried again in place (forget is idempotent). The head drops the webhook's
  // partitions by its alarm, not in this request. Export files that still fail to go are
  // recorded in D1, and the maintenance run deletes them: the webhook is gone either way.
  await Promise.all([
    retryTransient(() => forgetHealth(c.env, organisationId, c.req.param("id"))),
    deleteExportFiles(c.env, exportFiles).catch((err: unknown) => {
      console.error(JSON.stringify({ level: "error", msg: "export files left for the maintenance run", requestId: c.get("requestId"), files: exportFiles.length, error: String(err) }));
    }),
  ]);
  return c.body(null, 204);
});

/** Status changes: the answer is the webhook; asking for the status it already has is a no-op. */
async function transition(c: import("hono").Context<AppEnv>, to: "active" | "paused", from: ("inactive" | "active" | "paused")[], reason: string | null) {
  const organisationId = c.get("organisationId");
  const d = db(c.env.DB);
  const w = await findWebhook(d, organisationId, c.req.param("id")!);
  if (!w) throw notFound("Webhook");
  if (w.status !== to) {
    if (!from.includes(w.status)) {
      const hint = w.status === "paused" ? "use /resume" : w.status === "inactive" ? "activate it first" : "";
      throw new ApiError("INVALID_STATE", `The webhook is ${w.status} and cannot become ${to}${hint ? `: ${hint}` : ""}`);
    }
    await transitionWebhook(c.env, d, organisationId, w.id, from, to, reason, Date.now());
  }
  return w;
}

webhookRoutes.post("/:id/activate", jsonBody(), validate("json", EmptyBody), async (c) => {
  const w = await transition(c, "active", ["inactive"], null);
  return c.json(await presentWebhook(c.env.SECRET_ENCRYPTION_KEY, (await findWebhook(db(c.env.DB), w.organisationId, w.id))!));
});

webhookRoutes.post("/:id/pause", jsonBody(), validate("json", EmptyBody), async (c) => {
  const w = await transition(c, "paused", ["active"], "Paused by a user");
  return c.json(await presentWebhook(c.env.SECRET_ENCRYPTION_KEY, (await findWebhook(db(c.env.DB), w.organisationId, w.id))!));
});

webhookRoutes.post("/:id/resume", jsonBody(), validate("json", ResumeBody), async (c) => {
  const { replay_skipped } = c.req.valid("json");
  const w = await transition(c, "active", ["paused"], null);
  await resetFailures(c.env, w.organisationId, w.id);
  const replayed = replay_skipped ? await replaySkipped(c.env, w.organisationId, w.id) : 0;
  const out = await presentWebhook(c.env.SECRET_ENCRYPTION_KEY, (await findWebhook(db(c.env.DB), w.organisationId, w.id))!);
  return c.json({ ...out, replayed });
});


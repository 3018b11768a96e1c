import { Hono } from "hono";
import { findRecovery, findUnfinishedRecovery, insertRecovery, webhookState } from "../db/recoveries";
import { ApiError, fieldError, notFound } from "../errors";
import { newId } from "../lib/ids";
import { jsonBody, type AppEnv } from "../middleware";
import { RECOVERY_MAX_WINDOW_MS } from "../recoveries/policy";
import { presentRecovery, RecoverIn } from "../schemas/recovery";
import { validate } from "../validate";

/** Recoveries: re-send a window's failed and skipped deliveries in the background (mounted under /v1/webhooks). */
export const recoveryRoutes = new Hono<AppEnv>();

const NOT_ACTIVE = {
  inactive: "The webhook is inactive: activate it (POST /v1/webhooks/{id}/activate) before recovering, or the deliveries would only be skipped again",
  paused: "The webhook is paused: resume it (POST /v1/webhooks/{id}/resume) before recovering, or the deliveries would only be skipped again",
} as const;
const CHECKS_NOT_RECOVERED = "A verification check webhook is not recovered: each check is answered in the request that asked for it, and nobody waits for a late answer. Run the check again";

/**
 * One recovery per webhook runs at a time: while one is unfinished, a second request (for any
 * window) is answered with it, 202 and its id, and nothing new is started.
 */
recoveryRoutes.post("/:id/recover", jsonBody(), validate("json", RecoverIn), async (c) => {
  const organisationId = c.get("organisationId");
  const webhookId = c.req.param("id");
  const input = c.req.valid("json");
  const now = Date.now();
  // Deliveries created after the recovery began are not in it, so a later `until` means now.
  const until = Math.min(input.until ?? now, now);
  if (input.since >= until) {
    throw input.until !== undefined && input.until <= now ? fieldError("until", "must be after since") : fieldError("since", "must be in the past");
  }
  if (until - input.since > RECOVERY_MAX_WINDOW_MS) throw fieldError("since", "the window may span at most 31 days (deliveries are kept 30)");

  const webhook = await webhookState(c.env.DB, organisationId, webhookId);
  if (!webhook) throw notFound("Webhook");
  if (webhook.type === "verification_check") throw new ApiError("INVALID_STATE", CHECKS_NOT_RECOVERED);
  if (webhook.status !== "active") throw new ApiError("INVALID_STATE", NOT_ACTIVE[webhook.status].replace("{id}", webhookId));

  const id = newId("rcv", now);
  const inserted = await insertRecovery(c.env, { id, organisationId, webhookId, since: input.since, until, createdAt: now });
  const recovery = inserted ? await findRecovery(c.env.DB, organisationId, webhookId, id) : await findUnfinishedRecovery(c.env.DB, organisationId, webhookId);
  // Not inserted and none unfinished: the webhook was deleted meanwhile (or it finished in between: ask again).
  if (!recovery) throw inserted ? notFound("Webhook") : new ApiError("CONFLICT", "A recovery of this webhook just finished; send the request again");
  if (inserted) {
    // A send that fails leaves the recovery pending: the maintenance sweep enqueues it.
    await c.env.EXPORT_QUEUE.send({ kind: "recovery", recovery_id: id }).catch((err) =>
      console.error(JSON.stringify({ level: "error", msg: "recovery not enqueued; the sweep will", recoveryId: id, error: String(err) })),
    );
  }
  c.header("Location", `/v1/webhooks/${webhookId}/recoveries/${recovery.id}`);
  return c.json(presentRecovery(recovery), 202);
});

recoveryRoutes.get("/:id/recoveries/:recovery_id", async (c) => {
  const r = await findRecovery(c.env.DB, c.get("organisationId"), c.req.param("id"), c.req.param("recovery_id"));
  if (!r) throw notFound("Recovery");
  return c.json(presentRecovery(r));
});

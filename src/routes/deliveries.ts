/**
 * One delivery of a webhook (mounted under /v1/webhooks): its detail, the payload exactly as
 * sent and every attempt with its request and response; and resend, one more attempt now
 * through the same primitive as recover (src/delivery/resend.ts).
 */
import { Hono } from "hono";
import { findDelivery, findDeliveryDetail } from "../db/deliveries";
import { resendDeliveries } from "../delivery/resend";
import { ApiError, notFound } from "../errors";
import { jsonBody, type AppEnv } from "../middleware";
import { presentDelivery } from "../schemas/present-delivery";
import { EmptyBody } from "../schemas/webhook";
import { validate } from "../validate";

export const deliveryRoutes = new Hono<AppEnv>();

deliveryRoutes.get("/:id/deliveries/:delivery_id", async (c) => {
  const found = await findDeliveryDetail(c.env, c.get("organisationId"), c.req.param("id"), c.req.param("delivery_id"));
  if (!found) throw notFound("Delivery");
  return c.json(await presentDelivery(c.env.SECRET_ENCRYPTION_KEY, found.delivery, found.attempts));
});

/**
 * Refused, writing nothing: while the delivery is pending (its own attempts are not over), while
 * the webhook cannot send (the attempt would only be logged as skipped), and for a test event or
 * a check, whose body is not stored to be sent again.
 */
deliveryRoutes.post("/:id/deliveries/:delivery_id/resend", jsonBody(), validate("json", EmptyBody), async (c) => {
  const organisationId = c.get("organisationId");
  const webhookId = c.req.param("id");
  const deliveryId = c.req.param("delivery_id");
  const d = await findDelivery(c.env, organisationId, webhookId, deliveryId);
  if (!d) throw notFound("Delivery");
  if (d.webhook_status === "inactive") {
    throw new ApiError("INVALID_STATE", `The webhook is inactive, so nothing can be sent: activate it (POST /v1/webhooks/${webhookId}/activate), then resend`);
  }
  if (d.webhook_status === "paused") {
    throw new ApiError("INVALID_STATE", `The webhook is paused (${d.paused_reason ?? "no reason given"}): resume it (POST /v1/webhooks/${webhookId}/resume), then resend`);
  }
  const pending = () => new ApiError("INVALID_STATE", `Delivery ${deliveryId} is still pending (attempt ${d.attempts + 1} is due): resend it once it has ended`);
  if (d.status === "pending") throw pending();
  if (d.body === null) {
    throw new ApiError("INVALID_STATE", `Delivery ${deliveryId} is a ${d.test ? "test event" : "check"}, whose body is not stored: send a new one instead (POST /v1/webhooks/${webhookId}/test)`);
  }
  const [resent] = await resendDeliveries(c.env, organisationId, webhookId, [deliveryId]);
  // Another resend (or a recovery) took it between the read and the write.
  if (!resent) throw pending();
  return c.json(resent, 202);
});

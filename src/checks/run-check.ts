/**
 * A verification check, synchronously ("Step 5: Verification Criteria"):
 *
 *   load the webhook → input against the request schema → sign (the delivery code) → send over
 *   mTLS within the timeout → answer against the response schema → criteria → log → health
 *
 * The request is the usual envelope with event "verification.check" and the input as `data`;
 * the request schema describes `data`, the response schema the whole answer.
 * A call that fails (transport, non-2xx, an unusable answer) is logged as failed and counts
 * toward the webhook's consecutive failures; a verdict that does not pass is a success of the call.
 */
import { prepareRequest, RevisionCache } from "../delivery/attempt";
import { Signer } from "../delivery/sign";
import { healthStub } from "../durable/health-client";
import type { Env } from "../env";
import { ApiError, fieldError, notFound } from "../errors";
import { CHECK_EVENT } from "../samples";
import type { CheckIn, CheckOut } from "../schemas/check";
import { readStoredCriteria } from "../schemas/stored-criteria";
import type { Criteria } from "../schemas/webhook";
import { asDeliveryRow, loadTarget, logCall, newCall, type Logged, type Target } from "./one-off";
import { schemaErrors, UnusableSchemaError } from "./schema-errors";
import { sendForAnswer } from "./send-for-answer";
import { judge, type Verdict } from "./verdict";

function usable(t: Target | null): Target {
  if (!t) throw notFound("Webhook");
  if (t.type !== "verification_check") throw fieldError("webhook_id", "must be a verification_check webhook; this one is an event_notification webhook");
  if (t.status === "inactive") throw new ApiError("INVALID_STATE", `The check webhook ${t.id} is inactive: activate it first (POST /v1/webhooks/${t.id}/activate)`);
  if (t.status === "paused") {
    throw new ApiError("INVALID_STATE", `The check webhook ${t.id} is paused (${t.paused_reason ?? "no reason given"}): fix the endpoint, then resume it (POST /v1/webhooks/${t.id}/resume)`);
  }
  return t;
}

function requestErrors(t: Target, criteria: Criteria, value: unknown) {
  try {
    return schemaErrors(criteria.request_schema, value, "input");
  } catch (err) {
    if (!(err instanceof UnusableSchemaError)) throw err;
    throw new ApiError("UNPROCESSABLE", `The webhook's request_schema cannot be used (${err.message}): fix it with PATCH /v1/webhooks/${t.id}; nothing was sent`);
  }
}

export async function runCheck(env: Env, input: CheckIn): Promise<CheckOut> {
  const t = usable(await loadTarget(env, input.organisation_id, input.webhook_id));
  const criteria = readStoredCriteria(t.criteria);
  const inputErrors = requestErrors(t, criteria, input.input);
  if (inputErrors.length) {
    throw new ApiError("VALIDATION_FAILED", `input does not match the webhook's request schema: ${inputErrors.map((e) => `${e.path}: ${e.message}`).join("; ")}`, inputErrors);
  }

  const startedAt = Date.now();
  const ids = newCall(CHECK_EVENT, startedAt);
  const body = JSON.stringify({ event: CHECK_EVENT, event_id: ids.eventId, timestamp: new Date(startedAt).toISOString(), organisation_id: t.organisation_id, data: input.input });
  const call = { ...ids, body };

  let logged: Logged;
  let verdict: Verdict | null = null;
  const prepared = await prepareRequest(env, new Signer(), new RevisionCache(env.SECRET_ENCRYPTION_KEY), asDeliveryRow(t, call), startedAt);
  if ("refused" in prepared) {
    logged = prepared.refused;
  } else {
    const answer = await sendForAnswer(env, prepared.req);
    logged = answer.outcome;
    if (answer.outcome.ok) {
      verdict = answer.tooLarge ? null : judge(answer.body ?? "", criteria);
      const invalid = answer.tooLarge ? "The answer is larger than 256 KiB" : verdict!.invalid;
      if (invalid) logged = { ...answer.outcome, ok: false, errorCode: "invalid_response", error: invalid };
    }
  }

  await logCall(env, t, call, logged, { test: false, startedAt });
  const health = healthStub(env, t.organisation_id, t.id);
  if (!logged.ok) await health.recordFailure(t.organisation_id, t.id, call.deliveryId, 1);
  else if (t.failure_streak > 0) await health.recordSuccess(t.organisation_id, t.id);

  return {
    passed: logged.ok && verdict!.passed,
    success: verdict?.success ?? null,
    score: verdict?.score ?? null,
    threshold: criteria.min_score,
    reason: logged.ok ? verdict!.reason : logged.errorCode === "invalid_response" ? logged.error : `The check could not be made: ${logged.error}`,
    data: logged.ok ? verdict!.data : null,
    status_code: logged.statusCode,
    response_time_ms: logged.responseTimeMs,
    error_code: logged.errorCode,
    check_id: call.deliveryId,
    event_id: call.eventId,
  };
}

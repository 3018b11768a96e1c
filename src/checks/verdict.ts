/**
 * The verdict on a check's answer ("Step 5: Verification Criteria"). Two kinds of "no":
 * - the answer is unusable (not JSON, not an object, against the response schema, a success or
 *   score of the wrong type): the endpoint broke its contract, so the call counts as failed;
 * - the answer is usable but does not pass: success not true, score missing or below the
 *   threshold. That is a verdict, and the call itself succeeded.
 * Rules: success === false always fails; with require_success it must also be present and true.
 * The threshold applies to any score given; with require_score a score must be given.
 */
import type { FieldError } from "../errors";
import type { Criteria } from "../schemas/webhook";
import { schemaErrors, UnusableSchemaError } from "./schema-errors";

export interface Verdict {
  passed: boolean;
  success: boolean | null;
  score: number | null;
  reason: string | null;
  data: unknown;
  /** Set when the answer was unusable: why. */
  invalid: string | null;
}

const unusable = (why: string): Verdict => ({ passed: false, success: null, score: null, reason: why, data: null, invalid: why });
const list = (errors: FieldError[]) => errors.map((e) => `${e.path}: ${e.message}`).join("; ");

export function judge(answer: string, criteria: Criteria): Verdict {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer);
  } catch {
    return unusable("The answer is not JSON; it must be a JSON object such as {\"success\": true, \"score\": 0.92}");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return unusable("The answer is not a JSON object");
  let errors: FieldError[];
  try {
    errors = schemaErrors(criteria.response_schema, parsed, "response");
  } catch (err) {
    if (!(err instanceof UnusableSchemaError)) throw err;
    return unusable(`The webhook's response_schema cannot be used (${err.message}); fix it with PATCH /v1/webhooks/{id}`);
  }
  if (errors.length) return unusable(`The answer does not match the response schema: ${list(errors)}`);

  const body = parsed as Record<string, unknown>;
  const success = body.success ?? null;
  const score = body.score ?? null;
  if (success !== null && typeof success !== "boolean") return unusable("The answer's success must be true or false");
  if (score !== null && !(typeof score === "number" && score >= 0 && score <= 1)) return unusable("The answer's score must be a number between 0 and 1");

  const min = criteria.min_score;
  let reason: string | null = null;
  if (success === false) reason = "The endpoint answered success: false";
  else if (criteria.require_success && success === null) reason = "The answer has no success field, which the criteria require";
  else if (criteria.require_score && score === null) reason = "The answer has no score, which the criteria require";
  else if (score !== null && score < min) reason = `Score ${score} is below the threshold ${min}`;
  return { passed: reason === null, success, score, reason, data: body.data ?? null, invalid: null };
}

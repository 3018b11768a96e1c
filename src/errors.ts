import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";

/** The closed set of error codes the API answers with (API.md, "Errors"). */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  INVALID_STATE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  /** The request may or may not have taken effect (a write sent and never answered): retry it idempotently. */
  OUTCOME_UNKNOWN: 504,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;
export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends HTTPException {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldError[],
    /** Fields beside `error` that the caller needs to act, such as the `event_id` to retry with. */
    readonly extra?: Record<string, string>,
  ) {
    super(ERROR_STATUS[code], { message });
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) }, ...this.extra };
  }
}

export const notFound = (what: string) => new ApiError("NOT_FOUND", `${what} not found`);

/** One field error: a 400 that names the field and the rule. */
export const fieldError = (path: string, message: string) =>
  new ApiError("VALIDATION_FAILED", `${path}: ${message}`, [{ path, message }]);

export function fromZodIssues(issues: readonly z.core.$ZodIssue[]): ApiError {
  const details: FieldError[] = [];
  for (const issue of issues) {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      // An empty key would make an empty path, which names nothing: it is shown quoted.
      for (const key of issue.keys.map((k) => (k === "" ? '""' : k))) details.push({ path: base ? `${base}.${key}` : key, message: "unknown field" });
    } else {
      details.push({ path: base || "(body)", message: issue.message });
    }
  }
  const summary = details.map((d) => `${d.path}: ${d.message}`).join("; ");
  return new ApiError("VALIDATION_FAILED", `Invalid request: ${summary}`, details);
}

/** Three tiers: our errors as they are, Hono's mapped onto our codes, anything else a logged 500. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return c.json(err.toJSON(), err.status);
  if (err instanceof HTTPException) {
    const status = err.status;
    const code: ErrorCode =
      status === 400 ? "MALFORMED_JSON" : status === 401 ? "UNAUTHORIZED" : status === 413 ? "PAYLOAD_TOO_LARGE"
      : status === 415 ? "UNSUPPORTED_MEDIA_TYPE" : status === 404 ? "NOT_FOUND" : "INTERNAL";
    const message = status === 400 ? "The request body is not valid JSON" : err.message || code;
    return c.json(new ApiError(code, message).toJSON(), status === 500 ? 500 : (status as ContentfulStatusCode));
  }
  console.error(JSON.stringify({ level: "error", msg: "unhandled", requestId: c.get("requestId" as never), error: String(err?.stack ?? err) }));
  return c.json(new ApiError("INTERNAL", "Internal error; it has been logged").toJSON(), 500);
}

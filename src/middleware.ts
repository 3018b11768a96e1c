import type { MiddlewareHandler } from "hono";
import { eq } from "drizzle-orm";
import { db } from "./db/client";
import { apiKeys } from "./db/schema";
import type { Env } from "./env";
import { ApiError } from "./errors";
import { nestsDeeperThan } from "./lib/json-depth";
import { readLimited } from "./lib/read-limited";
import { hashApiKey, timingSafeEqual } from "./security/api-keys";

export type AppEnv = { Bindings: Env; Variables: { requestId: string; organisationId: number } };

const bearer = (header: string | undefined) => (header?.startsWith("Bearer ") ? header.slice(7).trim() : null);
const unauthorized = () => new ApiError("UNAUTHORIZED", "Missing or invalid credentials: send Authorization: Bearer <token>");

/** Operator routes: organisations and their API keys. */
export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearer(c.req.header("Authorization"));
  if (!token || !c.env.ADMIN_TOKEN || !timingSafeEqual(token, c.env.ADMIN_TOKEN)) throw unauthorized();
  await next();
};

/** Internal systems: the ingest and check routes. */
export const requireIngest: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearer(c.req.header("Authorization"));
  if (!token || !c.env.INGEST_TOKEN || !timingSafeEqual(token, c.env.INGEST_TOKEN)) throw unauthorized();
  await next();
};

/** Organisation routes: an API key, looked up by its hash, fixes the organisation. */
export const requireOrganisation: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearer(c.req.header("Authorization"));
  if (!token || !token.startsWith("nfk_") || token.length > 128) throw unauthorized();
  const row = await db(c.env.DB)
    .select({ organisationId: apiKeys.organisationId })
    .from(apiKeys)
    .where(eq(apiKeys.keyHash, await hashApiKey(token)))
    .get();
  if (!row) throw unauthorized();
  c.set("organisationId", row.organisationId);
  await next();
};

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;
export const MAX_MANAGEMENT_BODY = 256 * 1024;
/** Room for a JSON Schema at its own depth limit (32 levels, two JSON levels each) inside a body. */
export const MAX_BODY_DEPTH = 100;

/**
 * Bodies of writes: at most `maxBytes` (413) and JSON when present (415). Reads the body once,
 * within the limit even when no Content-Length is sent, and leaves it cached for the validator.
 */
export function jsonBody(maxBytes = MAX_MANAGEMENT_BODY): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // Body errors name the body as their field, like a zod issue at the root.
    const bodyError = (code: "PAYLOAD_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "MALFORMED_JSON", message: string) =>
      new ApiError(code, message, [{ path: "(body)", message }]);
    const tooLarge = () => bodyError("PAYLOAD_TOO_LARGE", `The request body must be at most ${maxBytes} bytes`);
    const declared = Number(c.req.header("Content-Length") ?? "NaN");
    if (declared > maxBytes) throw tooLarge();
    const { bytes, tooLarge: over } = await readLimited(c.req.raw.body, maxBytes, Number.isNaN(declared) ? undefined : declared);
    if (over) throw tooLarge();
    const text = new TextDecoder().decode(bytes);
    const type = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim();
    if (text.length > 0 && !JSON_TYPE.test(type)) {
      throw bodyError("UNSUPPORTED_MEDIA_TYPE", "The request body must be JSON: send Content-Type: application/json");
    }
    let parsed: unknown = {};
    if (text.trim().length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw bodyError("MALFORMED_JSON", "The request body is not valid JSON");
      }
    }
    if (nestsDeeperThan(parsed, MAX_BODY_DEPTH)) {
      throw new ApiError("VALIDATION_FAILED", `The request body must not nest deeper than ${MAX_BODY_DEPTH} levels`, [
        { path: "(body)", message: `must not nest deeper than ${MAX_BODY_DEPTH} levels` },
      ]);
    }
    // The validator reads the body through Hono's cache; hand it the parsed value.
    c.req.bodyCache.json = Promise.resolve(parsed);
    await next();
  };
}

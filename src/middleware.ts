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

/**
 * The body as text, or null past `maxBytes`. With a declared length within the limit, HTTP framing
 * holds the body to that length and one native text() call reads it (much cheaper than a stream).
 */
async function readBodyText(req: Request, maxBytes: number, declared: number): Promise<string | null> {
  if (Number.isInteger(declared) && declared <= maxBytes) return req.text();
  const { bytes, tooLarge } = await readLimited(req.body, maxBytes);
  return tooLarge ? null : new TextDecoder().decode(bytes);
}

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
    const isJson = JSON_TYPE.test((c.req.header("Content-Type") ?? "").split(";")[0]!.trim());
    const unsupported = () => bodyError("UNSUPPORTED_MEDIA_TYPE", "The request body must be JSON: send Content-Type: application/json");
    if (!isJson && declared > 0) throw unsupported();
    // Anything but JSON is read as bytes (the runtime warns when text() meets another type).
    const text = await readBodyText(c.req.raw, maxBytes, isJson ? declared : Number.NaN);
    if (text === null) throw tooLarge();
    if (text.length > 0 && !isJson) throw unsupported();
    const empty = text.trim().length === 0;
    let parsed: unknown = {};
    if (!empty) {
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
    // The validator reads the body through Hono's cache, whose json() parses the cached text (a
    // cached json value would be stringified, wrapped in a Response and parsed again). Hono's
    // type says string; it holds the promise of one. An empty body validates as {}.
    (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(empty ? "{}" : text);
    await next();
  };
}

/** The OpenAPI 3.1 document, generated from OPERATIONS with zod 4's own JSON Schema output. */
import { z } from "zod";
import { ERROR_STATUS } from "../errors";
import { OPERATIONS, type Auth, type Named, type Operation } from "./operations";

type Json = Record<string, unknown>;

/** JSON Schema 2020-12 is OpenAPI 3.1's dialect; only the `$schema` line is dropped. */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  return rest;
}

const ErrorBody = z.object({
  error: z.object({
    code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS]),
    message: z.string().describe("For a person"),
    details: z.array(z.object({ path: z.string().describe('The field, e.g. "headers.0.name"; "(body)" for the body as a whole'), message: z.string() })).optional(),
  }),
  event_id: z.string().optional().describe("Ingest's 503 and 504: the event id to retry with (a retry with it is never recorded twice)"),
});

const STATUS_TEXT: Record<number, string> = {
  400: "Invalid input: details name each field", 401: "Missing or wrong credentials", 404: "No such resource in your organisation",
  409: "Conflict with the resource's state", 413: "Body too large", 415: "Body is not JSON", 422: "Well-formed but refused",
};

const SECURITY: Record<Exclude<Auth, "none">, { scheme: string; description: string }> = {
  operator: { scheme: "operatorToken", description: "ADMIN_TOKEN (dev-admin-token in local development)" },
  organisation: { scheme: "apiKey", description: "An organisation's API key (nfk_...)" },
  ingest: { scheme: "ingestToken", description: "INGEST_TOKEN, for internal systems (dev-ingest-token in local development)" },
};

function reference(n: Named, io: "input" | "output", components: Json): Json {
  if (!(n.name in components)) {
    components[n.name] = "zod" in n ? jsonSchemaOf(n.zod, io) : { ...n.byHand, description: n.note };
  }
  return { $ref: `#/components/schemas/${n.name}` };
}

function queryParameters(query: z.ZodType): Json[] {
  const schema = jsonSchemaOf(query, "input") as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, s]) => ({
    name,
    in: "query",
    required: schema.required?.includes(name) ?? false,
    schema: s,
    ...(typeof s.description === "string" ? { description: s.description } : {}),
  }));
}

/** Required when the schema has required fields; an absent body is read as {} (src/middleware.ts). */
function requestBody(body: Named, components: Json): Json {
  const schema = reference(body, "input", components);
  const required = ((components[body.name] as { required?: string[] }).required ?? []).length > 0;
  return { required, content: { "application/json": { schema } } };
}

function operation(op: Operation, components: Json): Json {
  const pathParams = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
  const ok: Json = { description: op.ok.description };
  if (op.ok.schema) ok.content = { "application/json": { schema: reference(op.ok.schema, "output", components) } };
  else if (op.ok.contentType) ok.content = { [op.ok.contentType]: { schema: { type: "string" } } };
  const responses: Json = { [op.ok.status]: ok };
  for (const status of op.errors) {
    responses[status] = { description: STATUS_TEXT[status] ?? "Error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
  }
  return {
    operationId: `${op.method}${op.path.replace(/\{(\w+)\}/g, "By_$1").replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
    tags: [op.tag],
    summary: op.summary,
    ...(op.auth === "none" ? { security: [] } : { security: [{ [SECURITY[op.auth].scheme]: [] }] }),
    parameters: [...pathParams, ...(op.query ? queryParameters(op.query) : [])],
    ...(op.body ? { requestBody: requestBody(op.body, components) } : {}),
    responses,
  };
}

let cached: Json | null = null;

export function openApiDocument(): Json {
  if (cached) return cached;
  const components: Json = { Error: jsonSchemaOf(ErrorBody, "output") };
  const paths: Record<string, Json> = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method] = operation(op, components);
  cached = {
    openapi: "3.1.0",
    info: {
      title: "Nafsi webhooks",
      version: "1.0.0",
      description: "Signed, mTLS webhook delivery for Nafsi AI organisations. Errors: {error: {code, message, details}}. Lists page with next_cursor. success_rate is a percentage (0-100).",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    servers: [{ url: "/" }],
    tags: [...new Set(OPERATIONS.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      securitySchemes: Object.fromEntries(Object.values(SECURITY).map((s) => [s.scheme, { type: "http", scheme: "bearer", description: s.description }])),
    },
  };
  return cached;
}

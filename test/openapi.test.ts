/**
 * The OpenAPI document describes the app as it is: every mounted route appears, and the request
 * schemas in it behave like the validators (unknown fields refused, required fields required,
 * every documented field known). /docs renders it without any outside resource.
 */
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { jsonSchemaOf } from "../src/openapi/document";
import { OPERATIONS, type Operation } from "../src/openapi/operations";
import { ADMIN_TOKEN, INGEST_TOKEN, call, createOrganisation, createWebhook } from "./helpers/api";

type Json = Record<string, any>;

const toOpenApiPath = (path: string) => path.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}");
const mounted = [...new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method.toLowerCase()} ${toOpenApiPath(r.path)}`))];

async function document(): Promise<Json> {
  const res = await call("GET", "/openapi.json");
  expect(res.status).toBe(200);
  return res.body;
}

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document, served without credentials", async () => {
    const doc = await document();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.jsonSchemaDialect).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["apiKey", "ingestToken", "operatorToken"]);
  });

  it("lists every route the app serves, and nothing it does not", async () => {
    const doc = await document();
    const documented = Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${path}`));
    expect(mounted.length).toBeGreaterThan(20);
    expect(mounted.filter((r) => !documented.includes(r))).toEqual([]);
    expect(documented.filter((r) => !mounted.includes(r))).toEqual([]);
  });

  it("uses, for each request, the JSON Schema of the zod schema its route validates with", async () => {
    const doc = await document();
    for (const op of OPERATIONS) {
      if (!op.body || !("zod" in op.body)) continue;
      expect(doc.components.schemas[op.body.name], op.body.name).toEqual(jsonSchemaOf(op.body.zod, "input"));
      expect(doc.paths[op.path][op.method].requestBody.content["application/json"].schema.$ref).toBe(`#/components/schemas/${op.body.name}`);
    }
    // Production's rules: the URL field is the public https one, with its length limit.
    expect(doc.components.schemas.WebhookCreate.properties.url).toMatchObject({ type: "string", format: "uri", maxLength: 2048 });
    expect(doc.components.schemas.WebhookCreate.required).toEqual(["type", "name", "url"]);
    expect(doc.components.schemas.WebhookPatch.required).toBeUndefined();
  });

  it("documents each query parameter the validator reads", async () => {
    const doc = await document();
    for (const op of OPERATIONS.filter((o) => o.query)) {
      const names = doc.paths[op.path][op.method].parameters.filter((p: Json) => p.in === "query").map((p: Json) => p.name);
      expect(names, `${op.method} ${op.path}`).toEqual(Object.keys(jsonSchemaOf(op.query!, "input").properties as Json));
    }
    const list = doc.paths["/v1/webhooks"].get.parameters;
    expect(list.map((p: Json) => p.name)).toEqual(["status", "type", "limit", "cursor"]);
  });
});

/** A value of a JSON type the schema does not allow, or undefined when it allows any. */
function wrongValueFor(schema: Json): unknown {
  const types = new Set<string>([schema.type, ...(schema.anyOf ?? []).map((s: Json) => (Object.keys(s).length ? s.type : "any"))].flat().filter(Boolean));
  if (Object.keys(schema).length === 0 || types.has("any") || types.size === 0) return undefined;
  const jsonType = (v: unknown) => (Array.isArray(v) ? "array" : typeof v === "number" ? "number" : typeof v === "object" ? "object" : typeof v);
  return [{ __wrong: true }, 12345.5, "x", true].find((v) => !types.has(jsonType(v)) && !(jsonType(v) === "number" && types.has("integer")));
}

describe("request schemas behave like the validators", async () => {
  const org = await createOrganisation();
  const webhookId = (await createWebhook(org.api_key)).id;
  const token = (op: Operation) => (op.auth === "operator" ? ADMIN_TOKEN : op.auth === "ingest" ? INGEST_TOKEN : org.api_key);
  const url = (op: Operation, query = "") => op.path.replace("{id}", op.path.startsWith("/v1/organisations") ? String(org.id) : webhookId) + query;
  const doc = (await call("GET", "/openapi.json")).body as Json;
  const withBodies = OPERATIONS.filter((o) => o.body);

  it.each(withBodies.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))("%s", async (_label, op) => {
    const schema = doc.components.schemas[op.body!.name] as Json;
    const send = async (body: unknown) => call(op.method.toUpperCase(), url(op), { token: token(op), body });
    const paths = (res: { body: Json }) => (res.body.error?.details ?? []).map((d: Json) => d.path);

    // Documented as closed: an undocumented field is refused by name.
    expect(schema.additionalProperties).toBe(false);
    const unknown = await send({ __undocumented: 1 });
    expect(unknown.status).toBe(400);
    expect(paths(unknown)).toContain("__undocumented");

    // Documented as required: missing, each is named.
    const missing = await send({});
    for (const name of schema.required ?? []) expect(paths(missing), `${name} is required`).toContain(name);

    // Documented fields are known to the validator: a wrong type is refused as a wrong value, not an unknown field.
    for (const [name, prop] of Object.entries(schema.properties as Record<string, Json>)) {
      const wrong = wrongValueFor(prop);
      if (wrong === undefined) continue;
      const res = await send({ [name]: wrong });
      expect(res.status, `${name}=${JSON.stringify(wrong)}`).toBe(400);
      const detail = res.body.error.details.find((d: Json) => d.path === name || d.path.startsWith(`${name}.`));
      expect(detail, `${name} not named in ${JSON.stringify(res.body)}`).toBeDefined();
      expect(detail.message).not.toBe("unknown field");
    }
  });

  it.each(OPERATIONS.filter((o) => o.query).map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))("%s refuses an undocumented query parameter", async (_label, op) => {
    const res = await call(op.method.toUpperCase(), url(op, "?__undocumented=1"), { token: token(op), ...(op.method === "get" ? {} : { body: {} }) });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: Json) => d.path)).toContain("__undocumented");
  });
});

describe("GET /docs", () => {
  it("renders every operation and schema as HTML, with no outside resource", async () => {
    const res = await call("GET", "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    const html = res.body as string;
    expect(html.startsWith("<!doctype html>")).toBe(true);
    const doc = await document();
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const op of Object.values(item)) expect(html, path).toContain(`id="${op.operationId}"`);
      expect(html).toContain(`<code>${path}</code>`);
    }
    for (const name of Object.keys(doc.components.schemas)) expect(html).toContain(`id="schema-${name}"`);
    expect(html).not.toMatch(/<script|<link[^>]+href="http/);
  });
});

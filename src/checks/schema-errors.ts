/**
 * A value checked against a webhook's JSON Schema (draft 2020-12, @cfworker/json-schema: no
 * code generation, so it runs in workerd), with the errors as the API's field errors: one per
 * problem, at the offending field's path. Aggregate errors that only say "a child failed" are
 * left out; their children say what is wrong.
 */
import { Validator, type OutputUnit, type Schema } from "@cfworker/json-schema";
import type { FieldError } from "../errors";

/** Enough to fix a payload; a schema mismatch can otherwise list every item of a long array. */
const MAX_ERRORS = 20;
const AGGREGATES = new Set(["properties", "patternProperties", "items", "prefixItems", "contains", "$ref", "$dynamicRef", "allOf", "dependentSchemas", "unevaluatedItems", "false"]);
/** Branches of anyOf/oneOf each fail in their own way; the parent's one error is clearer. */
const BRANCH = /\/(anyOf|oneOf)\/\d+(\/|$)/;

function pathOf(root: string, location: string, extra?: string): string {
  const parts = location.replace(/^#\/?/, "").split("/").filter(Boolean).map((p) => decodeURIComponent(p).replace(/~1/g, "/").replace(/~0/g, "~"));
  return [root, ...parts, ...(extra ? [extra] : [])].join(".");
}

function toFieldError(root: string, u: OutputUnit, refused: Set<string>): FieldError | null {
  if (AGGREGATES.has(u.keyword) || BRANCH.test(u.keywordLocation)) return null;
  const property = /property "(.*)"/i.exec(u.error)?.[1];
  if (u.keyword === "required" && property !== undefined) return { path: pathOf(root, u.instanceLocation, property), message: "is required" };
  if ((u.keyword === "additionalProperties" || u.keyword === "unevaluatedProperties") && property !== undefined) {
    // Refused outright (a `false` schema), or the property's own errors follow and say why.
    const path = pathOf(root, u.instanceLocation, property);
    return refused.has(path) ? { path, message: "is not an allowed property" } : null;
  }
  if (u.keyword === "anyOf" || u.keyword === "oneOf") return { path: pathOf(root, u.instanceLocation), message: `does not match the schema's ${u.keyword} alternatives` };
  return { path: pathOf(root, u.instanceLocation), message: u.error.replace(/^Instance /, "").replace(/\.$/, "") };
}

/** A stored schema the validator cannot use (an unresolvable $ref): the webhook must be fixed. */
export class UnusableSchemaError extends Error {}

/** No schema (null) accepts anything. `root` names the value in paths: "input", "response". */
export function schemaErrors(schema: Record<string, unknown> | boolean | null, value: unknown, root: string): FieldError[] {
  if (schema === null) return [];
  let result: ReturnType<Validator["validate"]>;
  try {
    result = new Validator(schema as Schema | boolean, "2020-12", false).validate(value);
  } catch (err) {
    throw new UnusableSchemaError(String((err as Error)?.message ?? err).split("\n")[0]!.trim());
  }
  if (result.valid) return [];
  const refused = new Set(result.errors.filter((u) => u.keyword === "false").map((u) => pathOf(root, u.instanceLocation)));
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const u of result.errors) {
    const e = toFieldError(root, u, refused);
    if (!e || seen.has(`${e.path}\u0000${e.message}`)) continue;
    seen.add(`${e.path}\u0000${e.message}`);
    out.push(e);
  }
  // A schema that fails only through aggregates (e.g. `false`) still says something.
  if (out.length === 0) out.push({ path: root, message: "does not match the schema" });
  return out.slice(0, MAX_ERRORS);
}

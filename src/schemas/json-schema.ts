/**
 * Is a value a usable JSON Schema (draft 2020-12)? A structural check of the keywords we, and
 * @cfworker/json-schema, act on: wrong types, unknown `type` names, bad regexes and empty
 * combinators are refused with the JSON path of the offending keyword.
 */
const TYPES = new Set(["null", "boolean", "object", "array", "number", "integer", "string"]);
const SCHEMA_MAPS = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];
const SCHEMA_SINGLE = ["additionalProperties", "items", "contains", "not", "if", "then", "else", "propertyNames", "unevaluatedProperties", "unevaluatedItems", "additionalItems"];
const SCHEMA_ARRAYS = ["allOf", "anyOf", "oneOf", "prefixItems"];
const NON_NEGATIVE_INTS = ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minContains", "maxContains"];
const NUMBERS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"];
const MAX_DEPTH = 32;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Does a `$ref` point at a schema inside `root`? Only JSON pointers ("#", "#/$defs/name") are resolved. */
function resolves(root: unknown, ref: string): boolean {
  if (ref === "#") return true;
  if (!ref.startsWith("#/")) return false;
  let node: unknown = root;
  try {
    for (const raw of ref.slice(2).split("/")) {
      const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
      if (typeof node !== "object" || node === null || !Object.hasOwn(node, key)) return false;
      node = (node as Record<string, unknown>)[key];
    }
  } catch {
    return false; // a malformed %-escape
  }
  return typeof node === "boolean" || isObject(node);
}

type Problem = { path: string; message: string } | null;

/** The schema's structure: the zod schemas of the API refuse what fails this. */
export const checkJsonSchema = (schema: unknown): Problem => walk(schema, "", 0, schema, false);

/**
 * Structure and `$ref`s that resolve: checked when a webhook is saved. Not part of the zod
 * schemas, which also read stored criteria back: a row saved before this rule must still load.
 */
export const checkUsableJsonSchema = (schema: unknown): Problem => walk(schema, "", 0, schema, true);

function walk(schema: unknown, path: string, depth: number, root: unknown, refs: boolean): Problem {
  const at = (k: string) => (path ? `${path}.${k}` : k);
  if (typeof schema === "boolean") return null;
  if (!isObject(schema)) return { path, message: "must be a JSON Schema (an object or a boolean)" };
  if (depth > MAX_DEPTH) return { path, message: `must not nest deeper than ${MAX_DEPTH} levels` };
  // The validator cannot fetch other documents, and an unresolved pointer fails every later check.
  if (refs && schema.$ref !== undefined && !(typeof schema.$ref === "string" && resolves(root, schema.$ref))) {
    return { path: at("$ref"), message: "must be a JSON pointer to a schema inside this one (#/$defs/name)" };
  }
  const t = schema.type;
  if (t !== undefined) {
    const list = Array.isArray(t) ? t : [t];
    if (list.length === 0 || !list.every((x) => typeof x === "string" && TYPES.has(x))) {
      return { path: at("type"), message: `must be one of ${[...TYPES].join(", ")} (or an array of them)` };
    }
  }
  if (schema.required !== undefined && !(Array.isArray(schema.required) && schema.required.every((x) => typeof x === "string"))) {
    return { path: at("required"), message: "must be an array of property names" };
  }
  if (schema.enum !== undefined && !Array.isArray(schema.enum)) return { path: at("enum"), message: "must be an array" };
  for (const k of NON_NEGATIVE_INTS) {
    const v = schema[k];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 0)) return { path: at(k), message: "must be a non-negative integer" };
  }
  for (const k of NUMBERS) {
    if (schema[k] !== undefined && typeof schema[k] !== "number") return { path: at(k), message: "must be a number" };
  }
  if (schema.pattern !== undefined) {
    try {
      if (typeof schema.pattern !== "string") throw new Error();
      new RegExp(schema.pattern, "u");
    } catch {
      return { path: at("pattern"), message: "must be a valid regular expression" };
    }
  }
  for (const k of SCHEMA_MAPS) {
    const v = schema[k];
    if (v === undefined) continue;
    if (!isObject(v)) return { path: at(k), message: "must be an object of schemas" };
    for (const [name, sub] of Object.entries(v)) {
      const e = walk(sub, `${at(k)}.${name}`, depth + 1, root, refs);
      if (e) return e;
    }
  }
  for (const k of SCHEMA_SINGLE) {
    if (schema[k] === undefined) continue;
    const e = walk(schema[k], at(k), depth + 1, root, refs);
    if (e) return e;
  }
  for (const k of SCHEMA_ARRAYS) {
    const v = schema[k];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.length === 0) return { path: at(k), message: "must be a non-empty array of schemas" };
    for (let i = 0; i < v.length; i++) {
      const e = walk(v[i], `${at(k)}.${i}`, depth + 1, root, refs);
      if (e) return e;
    }
  }
  return null;
}

/**
 * Known answers for checkJsonSchema (src/schemas/json-schema.ts): what a verification check's
 * request_schema / response_schema may be. What it accepts, the validator used by the checks
 * (@cfworker/json-schema) must be able to run.
 */
import { Validator, type Schema } from "@cfworker/json-schema";
import { describe, expect, it } from "vitest";
import { checkJsonSchema, checkUsableJsonSchema } from "../src/schemas/json-schema";

const ACCEPTED: [string, unknown, unknown][] = [
  ["true", true, { anything: 1 }],
  ["false", false, null],
  ["empty", {}, 5],
  ["the product document's response", { type: "object", required: ["success", "score"], properties: { success: { type: "boolean" }, score: { type: "number", minimum: 0, maximum: 1 }, data: { type: "object" } } }, { success: true, score: 0.9 }],
  ["a type list", { type: ["string", "null"] }, null],
  ["a local $ref", { $defs: { score: { type: "number" } }, properties: { score: { $ref: "#/$defs/score" } } }, { score: 0.5 }],
  ["a recursive $ref", { type: "object", properties: { child: { $ref: "#" } } }, { child: { child: {} } }],
  ["a $ref with an escaped key", { $defs: { "a/b": { type: "string" } }, properties: { x: { $ref: "#/$defs/a~1b" } } }, { x: "s" }],
  ["combinators", { anyOf: [{ type: "string" }, { type: "number" }], not: { const: 3 } }, "x"],
  ["a pattern", { type: "string", pattern: "^\\d{3}$" }, "123"],
];

const REFUSED: [string, unknown, string, RegExp][] = [
  ["a string", "object", "", /object or a boolean/],
  ["an array", [], "", /object or a boolean/],
  ["an unknown type", { type: "banana" }, "type", /must be one of/],
  ["an empty type list", { type: [] }, "type", /must be one of/],
  ["a nested bad type", { properties: { a: { items: { type: 5 } } } }, "properties.a.items.type", /must be one of/],
  ["required not a list", { required: "a" }, "required", /array of property names/],
  ["enum not a list", { enum: "a" }, "enum", /array/],
  ["a negative minLength", { minLength: -1 }, "minLength", /non-negative integer/],
  ["a fractional maxItems", { maxItems: 1.5 }, "maxItems", /non-negative integer/],
  ["a string minimum", { minimum: "0" }, "minimum", /number/],
  ["a bad regex", { pattern: "(" }, "pattern", /regular expression/],
  ["properties not an object", { properties: [] }, "properties", /object of schemas/],
  ["an empty allOf", { allOf: [] }, "allOf", /non-empty array/],
  ["a bad schema in oneOf", { oneOf: [{}, "x"] }, "oneOf.1", /object or a boolean/],
  ["an unresolved $ref", { properties: { a: { $ref: "#/$defs/missing" } } }, "properties.a.$ref", /JSON pointer/],
  ["a $ref to another document", { $ref: "https://example.com/schema.json" }, "$ref", /JSON pointer/],
  ["a $ref by anchor", { $ref: "#thing" }, "$ref", /JSON pointer/],
  ["a $ref to a non-schema", { $defs: { n: { type: "string" } }, properties: { a: { $ref: "#/$defs/n/type" } } }, "properties.a.$ref", /JSON pointer/],
  ["a $ref that is not a string", { $ref: 5 }, "$ref", /JSON pointer/],
  ["a malformed escape in $ref", { $ref: "#/%E0%A4%A" }, "$ref", /JSON pointer/],
];

describe("checkJsonSchema", () => {
  it.each(ACCEPTED)("accepts %s, which the checks' validator can run", (_label, schema, instance) => {
    expect(checkJsonSchema(schema)).toBeNull();
    expect(checkUsableJsonSchema(schema)).toBeNull();
    expect(() => new Validator(schema as Schema | boolean, "2020-12", false).validate(instance)).not.toThrow();
  });

  it.each(REFUSED)("refuses %s", (_label, schema, path, why) => {
    const problem = checkUsableJsonSchema(schema);
    expect(problem?.path).toBe(path);
    expect(problem?.message).toMatch(why);
    // The structural check alone (what reads stored criteria back) lets pointers through.
    if (/JSON pointer/.test(why.source)) expect(checkJsonSchema(schema)).toBeNull();
    else expect(checkJsonSchema(schema)).toEqual(problem);
  });

  it("refuses nesting deeper than 32 levels", () => {
    let schema: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) schema = { items: schema };
    expect(checkJsonSchema(schema)?.message).toMatch(/deeper than 32/);
  });

  it("would otherwise store a schema the validator throws on", () => {
    // Why unresolved pointers are refused when the webhook is saved, not when a check runs.
    const schema = { properties: { a: { $ref: "#/$defs/missing" } } } as Schema;
    expect(() => new Validator(schema, "2020-12", false).validate({ a: 1 })).toThrow();
  });
});

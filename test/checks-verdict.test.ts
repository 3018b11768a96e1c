import { describe, expect, it } from "vitest";
import { schemaErrors, UnusableSchemaError } from "../src/checks/schema-errors";
import { judge } from "../src/checks/verdict";
import { Criteria } from "../src/schemas/webhook";

const defaults = Criteria.parse({});
const j = (answer: unknown, criteria: Partial<Criteria> = {}) =>
  judge(typeof answer === "string" ? answer : JSON.stringify(answer), { ...defaults, ...criteria });

describe("the verdict on a check's answer", () => {
  it("passes the product document's example answer with the default criteria", () => {
    const data = { result: "approved", reason: "Face match successful" };
    expect(j({ success: true, score: 0.92, data })).toEqual({ passed: true, success: true, score: 0.92, reason: null, data, invalid: null });
  });

  it("passes at exactly the threshold, not below it", () => {
    expect(j({ success: true, score: 0.85 }).passed).toBe(true);
    expect(j({ success: true, score: 0.849 })).toMatchObject({ passed: false, reason: "Score 0.849 is below the threshold 0.85", invalid: null });
  });

  it("requires success and score only when the criteria say so", () => {
    expect(j({ score: 0.9 }).reason).toBe("The answer has no success field, which the criteria require");
    expect(j({ success: true }).reason).toBe("The answer has no score, which the criteria require");
    expect(j({ score: 0.9 }, { require_success: false }).passed).toBe(true);
    expect(j({ success: true }, { require_score: false }).passed).toBe(true);
    expect(j({}, { require_success: false, require_score: false }).passed).toBe(true);
  });

  it("fails success: false even when success is not required, and a low score even when it is not required", () => {
    expect(j({ success: false, score: 0.99 }, { require_success: false })).toMatchObject({ passed: false, reason: "The endpoint answered success: false" });
    expect(j({ success: true, score: 0.2 }, { require_score: false })).toMatchObject({ passed: false, reason: "Score 0.2 is below the threshold 0.85" });
  });

  it("calls unusable what is not a JSON object or has fields of the wrong type", () => {
    expect(j("ok").invalid).toMatch(/^The answer is not JSON/);
    expect(j([1, 2]).invalid).toBe("The answer is not a JSON object");
    expect(j({ success: "yes", score: 0.9 }).invalid).toBe("The answer's success must be true or false");
    expect(j({ success: true, score: 92 }).invalid).toBe("The answer's score must be a number between 0 and 1");
    expect(j({ success: true, score: "0.9" }).invalid).toBe("The answer's score must be a number between 0 and 1");
  });

  it("checks the response schema before the criteria", () => {
    const response_schema = { type: "object", required: ["data"], properties: { data: { type: "object" } } };
    expect(j({ success: true, score: 0.99 }, { response_schema }).invalid).toBe("The answer does not match the response schema: response.data: is required");
    expect(j({ success: true, score: 0.99, data: {} }, { response_schema }).passed).toBe(true);
  });
});

describe("schema errors as field errors", () => {
  const schema = {
    type: "object",
    required: ["image_url"],
    additionalProperties: false,
    properties: {
      image_url: { type: "string" },
      tags: { type: "array", items: { type: "string" } },
      "a/b": { type: "integer" },
      kind: { anyOf: [{ const: "face" }, { const: "document" }] },
    },
  };

  it("give one error per problem, at the field's path", () => {
    expect(schemaErrors(schema, { extra: 1, tags: ["x", 2], "a/b": 1.5, kind: "voice" }, "input")).toEqual([
      { path: "input.image_url", message: "is required" },
      { path: "input.tags.1", message: 'type "number" is invalid. Expected "string"' },
      { path: "input.a/b", message: 'type "number" is invalid. Expected "integer"' },
      { path: "input.kind", message: "does not match the schema's anyOf alternatives" },
      { path: "input.extra", message: "is not an allowed property" },
    ]);
  });

  it("accept anything without a schema, and say something for a `false` schema", () => {
    expect(schemaErrors(null, { anything: 1 }, "input")).toEqual([]);
    expect(schemaErrors(true, 5, "input")).toEqual([]);
    expect(schemaErrors(false, {}, "input")).toEqual([{ path: "input", message: "does not match the schema" }]);
  });

  it("throw a typed error for a schema the validator cannot use, and the verdict names it", () => {
    expect(() => schemaErrors({ $ref: "#/nope" }, {}, "input")).toThrow(UnusableSchemaError);
    expect(() => schemaErrors({ $ref: "#/nope" }, {}, "input")).toThrow(/^Unresolved \$ref "#\/nope"\.[^\n]*$/);
    expect(j({ success: true, score: 1 }, { response_schema: { $ref: "#/nope" } }).invalid).toMatch(/^The webhook's response_schema cannot be used \(Unresolved \$ref/);
  });

  it("list at most 20 errors", () => {
    const many = schemaErrors({ type: "array", items: { type: "string" } }, new Array(50).fill(1), "input");
    expect(many).toHaveLength(20);
  });
});

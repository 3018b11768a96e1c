/** Known answers for nestsDeeperThan (src/lib/json-depth.ts), which guards every JSON body. */
import { describe, expect, it } from "vitest";
import { nestsDeeperThan } from "../src/lib/json-depth";
import { call, createOrganisation, expectStatus } from "./helpers/api";

const nested = (depth: number) => JSON.parse(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);

describe("nestsDeeperThan", () => {
  it.each([
    [1, 0, false], [{}, 0, true], [{}, 1, false], [[[]], 1, true], [[[]], 2, false],
    [{ a: [1, { b: "x" }] }, 3, false], [{ a: [1, { b: {} }] }, 3, true], [null, 0, false], ["deep", 0, false],
  ])("%j deeper than %i: %s", (value, max, answer) => {
    expect(nestsDeeperThan(value, max)).toBe(answer);
  });

  it("walks 100,000 levels without overflowing the stack", () => {
    expect(nestsDeeperThan(nested(100_000), 100)).toBe(true);
    expect(nestsDeeperThan(nested(100), 100)).toBe(false);
  });
});

it("accepts a request schema at the JSON Schema check's own depth limit, and answers it", async () => {
  const org = await createOrganisation();
  let schema: Record<string, unknown> = { type: "string" };
  for (let i = 0; i < 32; i++) schema = { type: "object", properties: { x: schema } };
  const body = { type: "verification_check", name: "deep", url: "https://a.myapp.com/", criteria: { request_schema: schema } };
  const wh = await expectStatus(201, "POST", "/v1/webhooks", { token: org.api_key, body });
  expect(wh.criteria.request_schema).toEqual(schema);
  expect((await call("GET", `/v1/webhooks/${wh.id}`, { token: org.api_key })).status).toBe(200);
});

/**
 * Stored verification criteria are read leniently: a row saved under today's rules keeps working
 * when the input schema tightens later (a strict re-parse turned such rows into 500s).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readStoredCriteria } from "../src/schemas/stored-criteria";
import { activate, call, createOrganisation, createWebhook, INGEST_TOKEN } from "./helpers/api";
import { bucket, receiverUrl } from "./helpers/receivers";

const DEFAULTS = { require_success: true, require_score: true, min_score: 0.85, request_schema: null, response_schema: null };

describe("readStoredCriteria", () => {
  it("keeps stored settings, ignores keys it does not know and fills in the defaults", () => {
    expect(readStoredCriteria(JSON.stringify({ min_score: 0.5, require_score: false, retired_setting: "x" }))).toEqual({
      ...DEFAULTS, min_score: 0.5, require_score: false,
    });
    const schema = { type: "object", required: ["a"] };
    expect(readStoredCriteria(JSON.stringify({ request_schema: schema, response_schema: true }))).toEqual({ ...DEFAULTS, request_schema: schema, response_schema: true });
  });

  it("reads no criteria, or unreadable ones, as the defaults", () => {
    expect(readStoredCriteria(null)).toEqual(DEFAULTS);
    expect(readStoredCriteria("{}")).toEqual(DEFAULTS);
    expect(readStoredCriteria("[1]")).toEqual(DEFAULTS);
    expect(readStoredCriteria("{not json")).toEqual(DEFAULTS);
    expect(readStoredCriteria(JSON.stringify({ require_success: "yes", min_score: "0.5" }))).toEqual(DEFAULTS);
  });

  it("keeps a setting today's input schema would refuse (it was valid when saved)", () => {
    // e.g. a later rule that min_score be at least 0.5, or a schema keyword later refused
    expect(readStoredCriteria(JSON.stringify({ min_score: 0.1, request_schema: { type: "object", "x-legacy": 1 } }))).toMatchObject({
      min_score: 0.1, request_schema: { type: "object", "x-legacy": 1 },
    });
  });
});

describe("POST /v1/checks with criteria stored under other rules", () => {
  it("runs the check with the stored settings instead of answering 500", async () => {
    const org = await createOrganisation();
    const answer = btoa(JSON.stringify({ success: true, score: 0.6 })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const wh = await createWebhook(org.api_key, { type: "verification_check", events: undefined, url: receiverUrl("mtls", bucket("crit"), `json/${answer}`) });
    await activate(org.api_key, wh.id);
    const stored = { require_success: true, require_score: true, min_score: 0.5, request_schema: null, response_schema: null, retired_setting: true };
    await env.DB.prepare("UPDATE webhooks SET criteria = ? WHERE id = ?").bind(JSON.stringify(stored), wh.id).run();

    const res = await call("POST", "/v1/checks", { token: INGEST_TOKEN, body: { organisation_id: org.id, webhook_id: wh.id, input: {} } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ passed: true, score: 0.6, threshold: 0.5, error_code: null });
  });
});

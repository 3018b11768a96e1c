import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { createOrganisation, createWebhook } from "./helpers/api";

describe("a SECRET_ENCRYPTION_KEY that does not match the stored data", () => {
  it("answers reads of stored webhooks with a 503 that names the key, not a 500", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { headers: [{ name: "Authorization", value: "Bearer a-long-enough-token" }] });
    const other = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const wrong = { ...env, SECRET_ENCRYPTION_KEY: other };
    for (const path of [`/v1/webhooks/${wh.id}`, "/v1/webhooks"]) {
      const res = await app.fetch(new Request(`http://x${path}`, { headers: { Authorization: `Bearer ${org.api_key}` } }), wrong, createExecutionContext());
      expect(res.status, path).toBe(503);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "UNAVAILABLE", message: expect.stringMatching(/SECRET_ENCRYPTION_KEY/) });
    }
  });
});

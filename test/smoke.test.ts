import { exports } from "cloudflare:workers";
import { inject } from "vitest";
import { describe, expect, it } from "vitest";

describe("smoke", () => {
  it("serves the index", async () => {
    const res = await exports.default.fetch("http://x/");
    expect(res.status).toBe(200);
    const receivers = inject("receivers");
    const r = await fetch(`${receivers.http}/_control/requests?bucket=none`);
    expect(await r.json()).toEqual([]);
  });
});

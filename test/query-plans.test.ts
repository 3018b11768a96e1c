import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { FINISHED_RECOVERIES_SQL } from "../src/db/recoveries";
import { FANOUT_SQL, OWNER_SQL } from "../src/db/webhooks";
import { createOrganisation, createWebhook } from "./helpers/api";

/**
 * What D1 still answers on the way to a webhook's log, statistics and chart: whether the webhook
 * is the organisation's, a key lookup whatever the number of webhooks. The log itself, its
 * totals and its rollups are read from the DeliveryLog partitions, whose plans are checked
 * inside the object (its own tests).
 */
describe("D1 query plans", () => {
  const plan = async (sql: string, ...params: unknown[]) =>
    (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>()).results.map((r) => r.detail);

  beforeAll(async () => {
    // Some organisations with webhooks, so that the planner sees real tables; ANALYZE (below) gives it statistics as D1 may have them.
    for (let i = 0; i < 3; i++) {
      const org = await createOrganisation();
      await Promise.all(Array.from({ length: 10 }, () => createWebhook(org.api_key)));
    }
  });

  for (const analysed of [false, true]) {
    it(`the ownership check is a key lookup${analysed ? " after ANALYZE" : ""}`, async () => {
      if (analysed) await env.DB.prepare("ANALYZE").run();
      const text = (await plan(OWNER_SQL, 1, "wh_x")).join("\n");
      expect(text).toMatch(/SEARCH webhooks USING (COVERING )?INDEX \w+ \((organisation_id=\? AND id=\?|id=\?)\)/);
      expect(text).not.toMatch(/SCAN|TEMP B-TREE/);
    });

    it(`the fan-out reads the organisation by key and its webhooks by index${analysed ? " after ANALYZE" : ""}`, async () => {
      if (analysed) await env.DB.prepare("ANALYZE").run();
      const text = (await plan(FANOUT_SQL, 1)).join("\n");
      expect(text).toMatch(/SEARCH organisations USING INTEGER PRIMARY KEY \(rowid=\?\)/);
      expect(text).toMatch(/SEARCH webhooks USING (COVERING )?INDEX \w+ \(organisation_id=\?/);
      expect(text).not.toMatch(/SCAN (webhooks|organisations)\b/);
    });

    it(`retention finds finished recoveries through their partial index${analysed ? " after ANALYZE" : ""}`, async () => {
      if (analysed) await env.DB.prepare("ANALYZE").run();
      const text = (await plan(FINISHED_RECOVERIES_SQL, Date.now(), 500)).join("\n");
      expect(text).toMatch(/SEARCH recoveries USING (COVERING )?INDEX recoveries_finished \(updated_at<\?\)/);
      expect(text).not.toMatch(/SCAN recoveries\b/);
    });
  }

  it("fails on a plan that scans (the check can fail)", async () => {
    expect((await plan("SELECT 1 FROM webhooks WHERE name = ?", "x")).join("\n")).toMatch(/SCAN webhooks/);
  });
});

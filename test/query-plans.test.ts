import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { logQuery, type LogFilter, type Position } from "../src/db/attempts";
import { PURGE_ATTEMPTS_SQL } from "../src/maintenance/retention";
import { COUNTERS_SQL, LATENCY_SQL } from "../src/stats/read-stats";
import { createOrganisation, createWebhook } from "./helpers/api";
import { seedSql } from "./helpers/seed-sql";

/**
 * Every filter combination of the log query must be answered by an index search on the
 * webhook, in the index's order: no scan of the attempts table and no sort, which at a million
 * attempts would cost in proportion to the log instead of the page.
 */
const FILTERS: (keyof LogFilter | "cursor")[] = ["from", "to", "status", "event", "cursor"];
const VALUES = { from: 1_700_000_000_000, to: 1_800_000_000_000, status: "failed", event: "verification.completed" } as const;

function combinations() {
  const out: { name: string; filter: LogFilter; after: Position | null }[] = [];
  for (let mask = 0; mask < 1 << FILTERS.length; mask++) {
    const used = FILTERS.filter((_, i) => mask & (1 << i));
    const filter: LogFilter = {};
    for (const key of used) if (key !== "cursor") Object.assign(filter, { [key]: VALUES[key] });
    const after = used.includes("cursor") ? { createdAt: 1_750_000_000_000, id: "att_x" } : null;
    out.push({ name: used.join("+") || "no filter", filter, after });
  }
  return out;
}

async function planOf(filter: LogFilter, after: Position | null): Promise<string[]> {
  const q = logQuery(1, "wh_plan", filter, after, 51);
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).bind(...q.params).all<{ detail: string }>();
  return results.map((r) => r.detail);
}

describe("log query plans", () => {
  beforeAll(async () => {
    // Some rows and webhooks, so that the planner sees real tables; ANALYZE (below) gives it
    // statistics as D1 may have them.
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: 10 }, () => createWebhook(org.api_key)));
    await env.DB.prepare(seedSql({ organisationId: org.id, webhookId: wh.id, tag: "plan", count: 2000, start: 1_750_000_000_000 })).run();
  });

  it("covers all 32 combinations", () => {
    expect(combinations()).toHaveLength(32);
  });

  for (const analysed of [false, true]) {
    describe(analysed ? "after ANALYZE" : "without statistics", () => {
      if (analysed) beforeAll(() => env.DB.prepare("ANALYZE").run());

      it.each(combinations())("$name: an index search on the webhook, no scan, no sort", async ({ filter, after }) => {
        const plan = await planOf(filter, after);
        const text = plan.join("\n");
        expect(text).not.toMatch(/SCAN attempts/);
        expect(text).not.toMatch(/TEMP B-TREE/);
        expect(plan).toHaveLength(1);
        expect(plan[0]).toMatch(/^SEARCH attempts USING INDEX attempts_webhook_\w+ \(webhook_id=\?/);
        // The index that serves the equality filters, so that the order comes from the index.
        const index = filter.status && filter.event ? "attempts_webhook_status_event_time"
          : filter.status ? "attempts_webhook_status_time"
          : filter.event ? "attempts_webhook_event_time"
          : "attempts_webhook_time";
        expect(plan[0]).toContain(`USING INDEX ${index} `);
        // Every bound narrows the index range (none is a filter over the rows the range reads):
        // the cursor's above all, or a deep page would read everything above it.
        const range = /\((.*)\)$/.exec(plan[0]!)![1]!;
        if (after) expect(range).toContain("(created_at,id)<(?,?)");
        else if (filter.to !== undefined) expect(range).toContain("created_at<?");
        if (filter.from !== undefined) expect(range).toContain("created_at>?");
      });
    });
  }

  it("fails on a plan that scans (the check can fail)", async () => {
    const { results } = await env.DB.prepare("EXPLAIN QUERY PLAN SELECT id FROM attempts WHERE error = ? ORDER BY created_at DESC")
      .bind("x")
      .all<{ detail: string }>();
    expect(results.map((r) => r.detail).join("\n")).toMatch(/SCAN attempts/);
  });
});

describe("other query plans", () => {
  const plan = async (sql: string, ...params: unknown[]) =>
    (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>()).results.map((r) => r.detail);

  it("statistics are key lookups, whatever the size of the log", async () => {
    for (const sql of [COUNTERS_SQL, LATENCY_SQL]) {
      const text = (await plan(sql, 1, "wh_x")).join("\n");
      expect(text).not.toMatch(/SCAN|TEMP B-TREE/);
      expect(text).not.toMatch(/attempts/);
    }
  });

  it("the purge walks attempts_created from the oldest row", async () => {
    const text = (await plan(PURGE_ATTEMPTS_SQL, 0, 10)).join("\n");
    expect(text).toMatch(/SEARCH attempts USING (COVERING )?INDEX attempts_created \(created_at<\?\)/);
    expect(text).not.toMatch(/SCAN attempts|TEMP B-TREE/);
  });
});

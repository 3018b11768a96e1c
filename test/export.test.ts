import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createOrganisation, createWebhook, expectStatus, waitFor } from "./helpers/api";
import { logLateRetry } from "./helpers/late-retry";
import { allPages, daysAgo, newestFirst, seed } from "./helpers/logs";
import { parseCsv } from "./helpers/parse-csv";

const DAY = 86_400_000;
const HEADER = ["timestamp", "id", "delivery_id", "event_id", "event", "attempt", "status", "response_code", "response_time_ms", "error_code", "error", "test"];

async function startExport(apiKey: string, webhookId: string, body: Record<string, unknown> = {}) {
  return expectStatus(202, "POST", `/v1/webhooks/${webhookId}/logs/export`, { token: apiKey, body });
}

async function finished(apiKey: string, exportId: string, ms = 25_000) {
  const e = await waitFor(async () => {
    const e = await expectStatus(200, "GET", `/v1/exports/${exportId}`, { token: apiKey });
    return e.status === "done" || e.status === "failed" ? e : undefined;
  }, ms, 200);
  expect(e.status, e.error).toBe("done");
  return e;
}

async function download(apiKey: string, exportId: string) {
  const res = await call("GET", `/v1/exports/${exportId}/download`, { token: apiKey });
  expect(res.status, String(res.body).slice(0, 300)).toBe(200);
  return { text: res.body as unknown as string, headers: res.headers };
}

/** A log row as the CSV must show it: RFC 4180 cells, formulas neutralised, nulls empty. */
const asCells = (r: any) =>
  [r.timestamp, r.id, r.delivery_id, r.event_id, r.event, r.attempt, r.status, r.response_code, r.response_time_ms, r.error_code, r.error, r.test].map((v) =>
    v === null ? "" : typeof v === "string" && /^[=+\-@\t\r]/.test(v) ? `'${v}` : String(v),
  );

describe("CSV export of delivery logs", () => {
  it("writes exactly the rows of the logs, row by row, and serves them as a named CSV file", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { name: "Production Verification Webhook" });
    await seed({ organisationId: org.id, webhookId: wh.id, tag: "ex", count: 3000, start: daysAgo(2), stepMs: 20_000 });

    const started = await startExport(org.api_key, wh.id);
    expect(started).toMatchObject({ id: expect.stringMatching(/^exp_/), status: "pending", rows: 0, download_url: null, webhook_id: wh.id });
    const done = await finished(org.api_key, started.id);
    expect(done.rows).toBe(3000);
    expect(done.download_url).toBe(`http://nafsi.test/v1/exports/${started.id}/download`);

    const { text, headers } = await download(org.api_key, started.id);
    expect(headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    const today = new Date().toISOString().slice(0, 10);
    expect(headers.get("Content-Disposition")).toBe(`attachment; filename="production-verification-webhook-logs-${today}.csv"`);
    const [header, ...lines] = parseCsv(text);
    expect(header).toEqual(HEADER);
    const logs = (await allPages(org.api_key, wh.id)).rows;
    expect(lines).toHaveLength(logs.length);
    lines.forEach((cells, i) => expect(cells).toEqual(asCells(logs[i])));
    // The pattern's errors start with "=": every one of them reached the file neutralised.
    expect(lines.filter((c) => c[10]!.startsWith("'=HYPERLINK")).length).toBe(logs.filter((r) => r.error).length);
  });

  it("writes a log spread over many days' partitions in the order of the logs, retries logged days later included", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    // Five days' partitions, each first asked for a fifth of a page, then more as the merge uses them up.
    await seed({ organisationId: org.id, webhookId: wh.id, tag: "exd", count: 3000, start: daysAgo(6), stepMs: 288_000 });
    await logLateRetry(org.id, wh.id, daysAgo(6) + 3_600_001, daysAgo(3) + 3_600_001);
    const e = await startExport(org.api_key, wh.id);
    expect((await finished(org.api_key, e.id)).rows).toBe(3002);
    const [, ...lines] = parseCsv((await download(org.api_key, e.id)).text);
    const logs = (await allPages(org.api_key, wh.id)).rows;
    expect(lines.map((c) => c[1])).toEqual(logs.map((r) => r.id));
    expect(new Set(logs.map((r) => r.timestamp.slice(0, 10))).size).toBe(5);
  });

  it("applies the log filters, from the body or the query string", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    const start = daysAgo(2);
    await seed({ organisationId: org.id, webhookId: wh.id, tag: "exf", count: 2000, start, stepMs: 60_000 });
    const filter = { status: "failed", event: "verification.failed", from: new Date(start + 3_600_000).toISOString(), to: new Date(start + 10 * 3_600_000).toISOString() };
    const logs = (await allPages(org.api_key, wh.id, filter)).rows;
    expect(logs.length).toBeGreaterThan(10);
    // One after the other: a webhook has one unfinished export at a time.
    const viaBody = await startExport(org.api_key, wh.id, filter);
    expect(viaBody.filters).toEqual(filter);
    await finished(org.api_key, viaBody.id);
    const viaQuery = await expectStatus(202, "POST", `/v1/webhooks/${wh.id}/logs/export?${new URLSearchParams(filter)}`, { token: org.api_key });
    for (const e of [viaBody, viaQuery]) {
      expect((await finished(org.api_key, e.id)).rows).toBe(logs.length);
      const [, ...lines] = parseCsv((await download(org.api_key, e.id)).text);
      expect(lines.map((c) => c[1])).toEqual(logs.map((r) => r.id));
    }
  });

  it("writes a file of one header line when nothing matches", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    const e = await startExport(org.api_key, wh.id, { event: "workflow.created" });
    expect((await finished(org.api_key, e.id)).rows).toBe(0);
    expect((await download(org.api_key, e.id)).text).toBe(HEADER.join(",") + "\r\n");
  });

  it("streams a big log in several multipart parts of 5 MiB", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    // 40% of rows carry a 2,500-character error: about 12 MiB of CSV.
    const rows = await seed({ organisationId: org.id, webhookId: wh.id, tag: "big", count: 10_000, start: daysAgo(2), stepMs: 5_000, errorPad: 2500 });
    const e = await startExport(org.api_key, wh.id);
    const done = await finished(org.api_key, e.id, 100_000);
    expect(done.rows).toBe(10_000);
    const row = await env.DB.prepare("SELECT object_key FROM exports WHERE id = ?").bind(e.id).first<{ object_key: string }>();
    const object = await env.EXPORTS.head(row!.object_key);
    expect(object!.size).toBeGreaterThan(10 * 1024 * 1024);
    expect(object!.etag).toMatch(/-3$/); // a multipart ETag ends with its number of parts
    const { text, headers } = await download(org.api_key, e.id);
    expect(Number(headers.get("Content-Length"))).toBe(object!.size);
    const lines = parseCsv(text);
    expect(lines).toHaveLength(10_001);
    // Rows that straddle a part boundary come out whole, in order.
    const expected = newestFirst(rows);
    lines.slice(1).forEach((cells, i) => {
      const r = expected[i]!;
      if (cells[1] !== r.id || cells[10] !== (r.error ? `'${r.error}` : "")) expect.fail(`line ${i + 2}: ${cells.slice(0, 2)} is not ${r.id}`);
    });
  }, 120_000);

  it("is refused for bad filters, with nothing written", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    const before = await env.DB.prepare("SELECT count(*) AS n FROM exports WHERE webhook_id = ?").bind(wh.id).first<{ n: number }>();
    for (const [body, path] of [
      [{ status: "ok" }, "status"],
      [{ from: "2026-01-29", to: "2026-01-28" }, "to"],
      [{ limit: 10 }, "limit"],
    ] as const) {
      const res = await call("POST", `/v1/webhooks/${wh.id}/logs/export`, { token: org.api_key, body });
      expect(res.status).toBe(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    const after = await env.DB.prepare("SELECT count(*) AS n FROM exports WHERE webhook_id = ?").bind(wh.id).first<{ n: number }>();
    expect(after!.n).toBe(before!.n);
  });

  it("belongs to its organisation: another one gets 404", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    const e = await startExport(org.api_key, wh.id);
    await finished(org.api_key, e.id);
    const stranger = await createOrganisation();
    for (const [method, path] of [
      ["GET", `/v1/exports/${e.id}`],
      ["GET", `/v1/exports/${e.id}/download`],
      ["POST", `/v1/webhooks/${wh.id}/logs/export`],
      ["GET", `/v1/exports/exp_nope`],
    ] as const) {
      const res = await call(method, path, { token: stranger.api_key });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe("NOT_FOUND");
    }
    expect((await call("GET", `/v1/exports/${e.id}`)).status).toBe(401);
  });

  it("is not downloadable before it is done", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    const now = Date.now();
    // A pending export that no queue message will run.
    await env.DB.prepare(
      "INSERT INTO exports (id, organisation_id, webhook_id, status, filters, rows, object_key, created_at, expires_at) VALUES ('exp_waiting', ?, ?, 'pending', ?, 0, NULL, ?, ?)",
    )
      .bind(org.id, wh.id, JSON.stringify({ to: now }), now, now + DAY)
      .run();
    expect(await expectStatus(200, "GET", "/v1/exports/exp_waiting", { token: org.api_key })).toMatchObject({ status: "pending", download_url: null });
    const res = await call("GET", "/v1/exports/exp_waiting/download", { token: org.api_key });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("INVALID_STATE");
  });

  it("expires after EXPORT_RETENTION_DAYS and goes with its webhook", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    await seed({ organisationId: org.id, webhookId: wh.id, tag: "gone", count: 10, start: daysAgo(1) });
    const e = await startExport(org.api_key, wh.id);
    const done = await finished(org.api_key, e.id);
    expect(Date.parse(done.expires_at) - Date.parse(done.created_at)).toBe(Number(env.EXPORT_RETENTION_DAYS) * DAY);
    const row = await env.DB.prepare("SELECT object_key FROM exports WHERE id = ?").bind(e.id).first<{ object_key: string }>();
    expect(await env.EXPORTS.head(row!.object_key)).not.toBeNull();

    await expectStatus(204, "DELETE", `/v1/webhooks/${wh.id}`, { token: org.api_key });
    expect((await call("GET", `/v1/exports/${e.id}`, { token: org.api_key })).status).toBe(404);
    expect(await env.EXPORTS.head(row!.object_key)).toBeNull();
    expect(await env.DB.prepare("SELECT id FROM exports WHERE id = ?").bind(e.id).first()).toBeNull();
  });
});

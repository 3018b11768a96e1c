/**
 * Exports within an invocation's limits: an export bigger than one invocation's budget stops at
 * a part boundary, saves a checkpoint and goes on in a new invocation, and the file is the same,
 * byte for byte, as one invocation writes, also when an invocation dies half-way through a part.
 * EXPORT_QUERIES_PER_INVOCATION makes the budget small enough for each invocation to write one
 * 5 MiB part.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { runExport, type ExportRun } from "../src/exports/run-export";
import { call, createOrganisation, createWebhook, expectStatus, waitFor } from "./helpers/api";
import { daysAgo, seed } from "./helpers/logs";

const DAY = 86_400_000;
/** Calls per invocation: a claim, the partition list, a few pages, one part and its checkpoint; then it must pause. */
const SMALL_BUDGET = "11";

afterEach(() => {
  delete env.EXPORT_QUERIES_PER_INVOCATION;
});

/** A webhook with about 1.15 KB of CSV per row: 40% of rows carry a 2,500-character error. */
async function bigLog(tag: string, count: number) {
  const org = await createOrganisation();
  const wh = await createWebhook(org.api_key);
  await seed({ organisationId: org.id, webhookId: wh.id, tag, count, start: daysAgo(2), stepMs: 5_000, errorPad: 2500 });
  return { org, wh };
}

async function exportViaApi(apiKey: string, webhookId: string) {
  const started = await expectStatus(202, "POST", `/v1/webhooks/${webhookId}/logs/export`, { token: apiKey, body: {} });
  const done = await waitFor(async () => {
    const e = await expectStatus(200, "GET", `/v1/exports/${started.id}`, { token: apiKey });
    return e.status === "done" || e.status === "failed" ? e : undefined;
  }, 25_000, 100);
  expect(done.status, done.error).toBe("done");
  return exportRow(started.id);
}

const exportRow = (id: string) =>
  env.DB.prepare("SELECT id, status, rows, object_key, tries, runs, parts, length(tail) AS tail_bytes FROM exports WHERE id = ?")
    .bind(id)
    .first<{ id: string; status: string; rows: number; object_key: string; tries: number; runs: number; parts: string; tail_bytes: number | null }>()
    .then((r) => r!);

/** The stored file: its size, its parts (from the multipart ETag) and a digest of its bytes. */
async function stored(key: string) {
  const object = await env.EXPORTS.get(key);
  const bytes = await object!.arrayBuffer();
  const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { size: bytes.byteLength, parts: Number(/-(\d+)$/.exec(object!.etag)?.[1] ?? 1), digest };
}

describe("exports across invocations", () => {
  it("an export spread over several invocations is byte for byte the one-invocation export", async () => {
    const { org, wh } = await bigLog("ckpt_a", 10_000); // about 11 MiB: three parts

    env.EXPORT_QUERIES_PER_INVOCATION = SMALL_BUDGET;
    const spread = await exportViaApi(org.api_key, wh.id);
    delete env.EXPORT_QUERIES_PER_INVOCATION;
    const whole = await exportViaApi(org.api_key, wh.id);

    expect(spread.runs).toBeGreaterThanOrEqual(3);
    expect(whole.runs).toBe(1);
    // Pauses are planned, not failures: the only try counted is the one that finished.
    expect(spread.tries).toBe(1);
    expect(spread.rows).toBe(10_000);
    const [a, b] = [await stored(spread.object_key), await stored(whole.object_key)];
    expect(a.size).toBeGreaterThan(10 * 1024 * 1024);
    expect(a.parts).toBe(3);
    expect(a).toEqual(b);
  }, 60_000);

  it("a second invocation at once, or a crash before or after a checkpoint, changes no byte", async () => {
    const { org, wh } = await bigLog("ckpt_b", 15_000); // about 16 MiB: four parts
    // An export no queue message runs: this test is its consumer, one invocation per call.
    const now = Date.now();
    const id = `exp_ckpt_${now.toString(36)}`;
    await env.DB.prepare(
      `INSERT INTO exports (id, organisation_id, webhook_id, status, filters, rows, object_key, created_at, expires_at, updated_at)
       VALUES (?, ?, ?, 'pending', ?, 0, ?, ?, ?, ?)`,
    )
      .bind(id, org.id, wh.id, JSON.stringify({ to: now }), `exports/${org.id}/${id}.csv`, now, now + DAY, now)
      .run();
    env.EXPORT_QUERIES_PER_INVOCATION = SMALL_BUDGET;
    const evicted = () => {
      throw new Error("isolate evicted");
    };

    const first = await runExport(env, id);
    expect(first).toMatchObject({ outcome: "paused", parts: 1 });
    expect((first as Extract<ExportRun, { calls: number }>).calls).toBeLessThanOrEqual(Number(SMALL_BUDGET));
    // The part boundary fell inside a row: the rest of that row waits in the checkpoint.
    expect((await exportRow(id)).tail_bytes).toBeGreaterThan(0);

    // Two invocations at once (a duplicate message, the sweep's copy): one holds the lease, the other leaves.
    const pair = await Promise.all([runExport(env, id), runExport(env, id)]);
    expect(pair.map((r) => r.outcome).sort()).toEqual(["busy", "paused"]);
    expect(JSON.parse((await exportRow(id)).parts)).toHaveLength(2);

    // Part 3 uploaded, its checkpoint never saved.
    await expect(runExport(env, id, { partUploaded: evicted })).rejects.toThrow("isolate evicted");
    expect(JSON.parse((await exportRow(id)).parts)).toHaveLength(2);
    // Part 3 again, from the same checkpoint: same number, same bytes; saved, then the isolate goes.
    await expect(runExport(env, id, { checkpointSaved: evicted })).rejects.toThrow("isolate evicted");
    expect(JSON.parse((await exportRow(id)).parts)).toHaveLength(3);

    let run: ExportRun;
    do run = await runExport(env, id);
    while (run.outcome === "paused");
    expect(run.outcome).toBe("done");
    const crashed = await exportRow(id);
    expect(crashed).toMatchObject({ status: "done", rows: 15_000, tail_bytes: null });
    // The crash that lost an uploaded part counts, and so does the try that finished. The one
    // after the checkpoint does not: that checkpoint was a planned pause and handed its try back.
    expect(crashed.tries).toBe(2);

    delete env.EXPORT_QUERIES_PER_INVOCATION;
    const whole = await exportViaApi(org.api_key, wh.id);
    const [a, b] = [await stored(crashed.object_key), await stored(whole.object_key)];
    expect(a.parts).toBe(4); // part 3 was replaced, not added
    expect(a).toEqual(b);
  }, 60_000);

  it("a second export of a webhook while one is unfinished is a 409 naming the unfinished one", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    const other = await createWebhook(org.api_key);
    await seed({ organisationId: org.id, webhookId: wh.id, tag: "ckpt_c", count: 3000, start: daysAgo(1) });
    const post = (webhookId: string, body: Record<string, unknown> = {}) => call("POST", `/v1/webhooks/${webhookId}/logs/export`, { token: org.api_key, body });

    // Two at once: one statement decides, so exactly one of them is accepted.
    const answers = await Promise.all([post(wh.id), post(wh.id, { status: "failed" })]);
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    const accepted = answers.find((a) => a.status === 202)!.body;
    const refused = answers.find((a) => a.status === 409)!;
    expect(refused.body).toMatchObject({ error: { code: "CONFLICT" }, export_id: accepted.id });
    expect(refused.body.error.message).toContain(accepted.id);
    expect(refused.headers.get("Location")).toBe(`/v1/exports/${accepted.id}`);
    // Another webhook's export is not held up.
    const elsewhere = await post(other.id);
    expect(elsewhere.status).toBe(202);

    const settled = (id: string) => waitFor(async () => ((await exportRow(id)).status === "done" ? true : undefined), 25_000, 100);
    await settled(accepted.id);
    const next = await post(wh.id);
    expect(next.status).toBe(202);
    await Promise.all([settled(next.body.id), settled(elsewhere.body.id)]);
    const count = await env.DB.prepare("SELECT count(*) AS n FROM exports WHERE webhook_id = ?").bind(wh.id).first<{ n: number }>();
    expect(count!.n).toBe(2);
  });
});

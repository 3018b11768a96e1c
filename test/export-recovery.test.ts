/**
 * Exports recover by themselves: one whose queue message was lost (a local queue dropped on a
 * restart) or whose try died without a word is enqueued again by the maintenance sweep, and
 * failed, not left "running", once its tries are used up.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runMaintenance } from "../src/maintenance";
import { EXPORT_STALE_MS, sweepStaleExports } from "../src/exports/sweep";
import { EXPORT_MAX_ATTEMPTS } from "../src/exports/give-up";
import { createOrganisation, createWebhook, expectStatus, waitFor } from "./helpers/api";
import { daysAgo, seed } from "./helpers/logs";

const DAY = 86_400_000;

/** An export row as a lost or dead try leaves it: no queue message will ever run it. */
let stranded = 0;
async function strandedExport(status: "pending" | "running", tries: number, quietForMs: number) {
  stranded++;
  const org = await createOrganisation();
  const wh = await createWebhook(org.api_key);
  await seed({ organisationId: org.id, webhookId: wh.id, tag: `stranded_${stranded}`, count: 25, start: daysAgo(1) });
  const now = Date.now();
  const id = `exp_stranded_${stranded}_${now.toString(36)}`;
  await env.DB.prepare(
    `INSERT INTO exports (id, organisation_id, webhook_id, status, filters, rows, object_key, created_at, expires_at, tries, updated_at)
     VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)`,
  )
    .bind(id, org.id, wh.id, status, JSON.stringify({ to: now }), `exports/${org.id}/${id}.csv`, now - quietForMs, now + DAY, tries, now - quietForMs)
    .run();
  return { org, id };
}

const settled = (apiKey: string, id: string) =>
  waitFor(async () => {
    const e = await expectStatus(200, "GET", `/v1/exports/${id}`, { token: apiKey });
    return e.status === "done" || e.status === "failed" ? e : undefined;
  }, 25_000, 200);

describe("stranded exports", () => {
  it("a pending export whose queue message was lost is run by the next maintenance pass", async () => {
    const { org, id } = await strandedExport("pending", 0, EXPORT_STALE_MS + 60_000);
    await runMaintenance(env);
    const e = await settled(org.api_key, id);
    expect(e).toMatchObject({ status: "done", rows: 25 });
    const row = await env.DB.prepare("SELECT tries FROM exports WHERE id = ?").bind(id).first<{ tries: number }>();
    expect(row!.tries).toBe(1);
  });

  it("a running export whose try died without a word is run again while it has tries left", async () => {
    const { org, id } = await strandedExport("running", EXPORT_MAX_ATTEMPTS - 1, EXPORT_STALE_MS + 60_000);
    expect(await sweepStaleExports(env)).toMatchObject({ requeued: 1 });
    expect(await settled(org.api_key, id)).toMatchObject({ status: "done", rows: 25 });
  });

  it("fails an export whose tries are used up, with a message, instead of leaving it running", async () => {
    const { org, id } = await strandedExport("running", EXPORT_MAX_ATTEMPTS, EXPORT_STALE_MS + 60_000);
    expect(await sweepStaleExports(env)).toMatchObject({ failed: 1 });
    const e = await expectStatus(200, "GET", `/v1/exports/${id}`, { token: org.api_key });
    expect(e).toMatchObject({ status: "failed", download_url: null });
    expect(e.error).toMatch(/try again/);
  });

  it("leaves alone an export that showed a sign of life recently, and one it has just re-enqueued", async () => {
    const { org, id } = await strandedExport("running", 1, 60_000);
    expect(await sweepStaleExports(env)).toEqual({ requeued: 0, failed: 0 });
    expect((await expectStatus(200, "GET", `/v1/exports/${id}`, { token: org.api_key })).status).toBe("running");
    // Re-enqueued once, it is fresh again: a second pass does not send it twice.
    const quiet = await strandedExport("pending", 0, EXPORT_STALE_MS + 60_000);
    const first = await sweepStaleExports(env);
    expect(first.requeued).toBeGreaterThanOrEqual(1);
    expect(await sweepStaleExports(env)).toEqual({ requeued: 0, failed: 0 });
    await settled(quiet.org.api_key, quiet.id);
  });

  it("counts every claim as a try: a message that comes back after the last one fails the export", async () => {
    const { org, id } = await strandedExport("pending", EXPORT_MAX_ATTEMPTS, 0);
    await env.EXPORT_QUEUE.send({ kind: "export", export_id: id });
    const e = await settled(org.api_key, id);
    expect(e.status).toBe("failed");
  });
});

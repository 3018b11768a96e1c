/**
 * A deleted webhook's export files (migration 0015, src/exports/delete-files.ts): its DELETE
 * records them in the same D1 batch that deletes its export rows, so a file R2 failed to delete
 * is still found, and deleted, by the maintenance run.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { runMaintenance } from "../src/maintenance";
import { deleteOrphanedExportFiles, WRITING_SETTLES_MS } from "../src/exports/delete-files";
import { createOrganisation, createWebhook, expectStatus } from "./helpers/api";

/** An export row of `webhookId`, as the export job leaves it: done with its file, or still writing. */
async function exportOf(organisationId: number, webhookId: string, id: string, uploadId: string | null = null) {
  const key = `exports/${organisationId}/${id}.csv`;
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO exports (id, organisation_id, webhook_id, status, filters, rows, object_key, created_at, expires_at, upload_id) VALUES (?, ?, ?, ?, '{}', 1, ?, ?, ?, ?)",
  )
    .bind(id, organisationId, webhookId, uploadId ? "running" : "done", key, now, now + 86_400_000, uploadId)
    .run();
  return key;
}

const recorded = async () => (await env.DB.prepare("SELECT object_key FROM orphaned_export_files ORDER BY object_key").all<{ object_key: string }>()).results.map((r) => r.object_key);

/** R2 whose deletes fail (the first `times`), as an outage would. */
function failingDeletes(times: number): R2Bucket {
  let failures = 0;
  return new Proxy(env.EXPORTS, {
    get(target, prop) {
      const real = (Reflect.get(target, prop) as Function).bind(target);
      if (prop !== "delete") return real;
      return async (keys: string | string[]) => {
        if (failures++ < times) throw new Error("R2 is unavailable");
        return real(keys);
      };
    },
  });
}

/** R2 whose multipart aborts fail, as a blip during the DELETE would. */
function failingAborts(): R2Bucket {
  return new Proxy(env.EXPORTS, {
    get(target, prop) {
      const real = (Reflect.get(target, prop) as Function).bind(target);
      if (prop !== "resumeMultipartUpload") return real;
      return (key: string, uploadId: string) => Object.assign(Object.create(real(key, uploadId)), { abort: async () => Promise.reject(new Error("R2 is unavailable")) });
    },
  });
}

const deleteWebhook = (apiKey: string, id: string, bindings: Partial<typeof env> = {}) =>
  app.fetch(new Request(`http://x/v1/webhooks/${id}`, { method: "DELETE", headers: { Authorization: `Bearer ${apiKey}` } }), { ...env, ...bindings }, createExecutionContext());

describe("a deleted webhook's export files", () => {
  it("are deleted with the webhook, and nothing stays recorded", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    const key = await exportOf(org.id, wh.id, "exp_with_hook");
    await env.EXPORTS.put(key, "id\n1\n");

    expect((await deleteWebhook(org.api_key, wh.id)).status).toBe(204);
    expect(await env.EXPORTS.head(key)).toBeNull();
    expect(await recorded()).not.toContain(key);
  });

  it("outlive an R2 outage during the DELETE: the webhook is gone (204), and the maintenance run deletes the files later", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    const keys = [await exportOf(org.id, wh.id, "exp_outage_1"), await exportOf(org.id, wh.id, "exp_outage_2")];
    for (const key of keys) await env.EXPORTS.put(key, "id\n1\n");

    expect((await deleteWebhook(org.api_key, wh.id, { EXPORTS: failingDeletes(1) })).status).toBe(204);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM exports WHERE webhook_id = ?").bind(wh.id).first<number>("n"))).toBe(0);
    await expectStatus(404, "GET", `/v1/webhooks/${wh.id}`, { token: org.api_key });
    for (const key of keys) expect(await env.EXPORTS.head(key)).not.toBeNull();
    expect(await recorded()).toEqual(expect.arrayContaining(keys));

    // The maintenance run's own try fails too: the records stay for the next one.
    await expect(runMaintenance({ ...env, EXPORTS: failingDeletes(1) })).rejects.toThrow("R2 is unavailable");
    expect(await recorded()).toEqual(expect.arrayContaining(keys));

    await runMaintenance(env);
    for (const key of keys) expect(await env.EXPORTS.head(key)).toBeNull();
    expect(await recorded()).toEqual([]);
  });

  it("include an export still writing: its open upload is aborted", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    const upload = await env.EXPORTS.createMultipartUpload(`exports/${org.id}/exp_writing.csv`);
    await upload.uploadPart(1, "id\n".repeat(10));
    await exportOf(org.id, wh.id, "exp_writing", upload.uploadId);

    expect((await deleteWebhook(org.api_key, wh.id)).status).toBe(204);
    const resumed = env.EXPORTS.resumeMultipartUpload(upload.key, upload.uploadId);
    await expect(resumed.uploadPart(2, "id\n")).rejects.toThrow();
    // Recorded until no invocation can still be completing it (the next test).
    expect(await recorded()).toContain(upload.key);
  });

  it("include one whose upload completes after the DELETE (its abort failed): the maintenance run deletes it once that has settled", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    const key = `exports/${org.id}/exp_completing.csv`;
    const upload = await env.EXPORTS.createMultipartUpload(key);
    const part = await upload.uploadPart(1, "id\n1\n");
    await exportOf(org.id, wh.id, "exp_completing", upload.uploadId);

    expect((await deleteWebhook(org.api_key, wh.id, { EXPORTS: failingAborts() })).status).toBe(204);
    // The invocation that was writing it completes its upload now, and dies before it can see
    // its export is gone: the file is back.
    await env.EXPORTS.resumeMultipartUpload(key, upload.uploadId).complete([part]);
    expect(await env.EXPORTS.head(key)).not.toBeNull();

    // Too soon: the record stays (forgetting it now would leave this file for good).
    await deleteOrphanedExportFiles(env);
    expect(await recorded()).toContain(key);
    await deleteOrphanedExportFiles(env, Date.now() + WRITING_SETTLES_MS);
    expect(await env.EXPORTS.head(key)).toBeNull();
    expect(await recorded()).not.toContain(key);
  });

  it("are only the deleting organisation's: another organisation's DELETE records nothing", async () => {
    const org = await createOrganisation();
    const stranger = await createOrganisation();
    const wh = await createWebhook(org.api_key);
    const key = await exportOf(org.id, wh.id, "exp_not_yours");
    await env.EXPORTS.put(key, "id\n1\n");

    expect((await deleteWebhook(stranger.api_key, wh.id)).status).toBe(404);
    expect(await recorded()).not.toContain(key);
    expect(await env.EXPORTS.head(key)).not.toBeNull();
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { purgeOldDeliveries } from "../src/maintenance/retention";
import { activate, createOrganisation, createWebhook, ingest, waitFor } from "./helpers/api";
import { count, deliveriesOf } from "./helpers/db";
import { bucket, receiverUrl } from "./helpers/receivers";

const DAY = 86_400_000;

describe("retention of deliveries and events", () => {
  it("purges finished deliveries past the retention and then their events; pending ones stay", async () => {
    const org = await createOrganisation();
    const wh = await createWebhook(org.api_key, { url: receiverUrl("http", bucket("ret")), events: ["workflow.created"] });
    await activate(org.api_key, wh.id);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await ingest({ event: "workflow.created", organisation_id: org.id, data: { i }, event_id: `evt_ret_${i}` })).body.event_id);
    await waitFor(async () => ((await deliveriesOf(wh.id)).every((d) => d.status === "success") ? true : undefined));

    const old = Date.now() - 40 * DAY;
    // Event 0: finished long ago. Event 1: old but its delivery is still pending. Event 2: recent.
    await env.DB.batch([
      env.DB.prepare("UPDATE deliveries SET updated_at = ? WHERE organisation_id = ? AND event_id = ?").bind(old, org.id, ids[0]),
      env.DB.prepare("UPDATE deliveries SET updated_at = ?, status = 'pending', next_attempt_at = ? WHERE organisation_id = ? AND event_id = ?").bind(old, Date.now() + DAY, org.id, ids[1]),
      env.DB.prepare("UPDATE events SET created_at = ? WHERE organisation_id = ? AND id IN (?, ?)").bind(old, org.id, ids[0], ids[1]),
    ]);
    expect(await purgeOldDeliveries(env)).toBeGreaterThanOrEqual(2);
    expect((await deliveriesOf(wh.id)).map((d) => d.event_id).sort()).toEqual([ids[1], ids[2]].sort());
    expect(await count("events", "organisation_id = ? AND id = ?", org.id, ids[0])).toBe(0);
    expect(await count("events", "organisation_id = ? AND id IN (?, ?)", org.id, ids[1], ids[2])).toBe(2);
  });
});

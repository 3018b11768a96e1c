import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedSql } from "../../test/helpers/seed-sql.ts";
import { executeSql, memoryOf, startPersistedDev, wrangler } from "../lib/persisted-dev.ts";
const N = Number(process.env.N ?? 300000);
const state = mkdtempSync(join(tmpdir(), "nafsi-mem-"));
const ADMIN = { Authorization: "Bearer dev-admin-token", "Content-Type": "application/json" };
const j = async (u: string, i: RequestInit = {}) => (await fetch(u, i)).json() as Promise<any>;
await wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", state]);
let dev = await startPersistedDev(state, 8831);
const org = await j(`${dev.url}/v1/organisations`, { method: "POST", headers: ADMIN, body: JSON.stringify({ name: "m", notification_email: "m@e.com" }) });
const auth = { Authorization: `Bearer ${org.api_key}`, "Content-Type": "application/json" };
const wh = await j(`${dev.url}/v1/webhooks`, { method: "POST", headers: auth, body: JSON.stringify({ type: "event_notification", name: "m", url: "https://a.example.com/x", events: ["verification.completed"] }) });
await dev.stop();
for (let s = 0; s < N; s += 100000) await executeSql(state, seedSql({ organisationId: org.id, webhookId: wh.id, tag: "b", first: s, count: Math.min(100000, N - s), start: Date.now() - 20 * 86400000, stepMs: 1000 }));
dev = await startPersistedDev(state, 8831);
const rss = () => dev.workerdPids().map((p) => `${p}:${Math.round(memoryOf(p)!.rss)}`).join(" ");
console.log("start", rss());
let cursor: string | null = null, n = 0;
if (process.env.PAGE) do {
  const p: any = await j(`${dev.url}/v1/webhooks/${wh.id}/logs?limit=500${cursor ? `&cursor=${cursor}` : ""}`, { headers: auth });
  n += p.data.length; cursor = p.next_cursor;
  if (n % 50000 === 0) console.log("paged", n, rss());
} while (cursor);
console.log("after paging", rss());
{
  const t0 = Date.now();
  let stop = false;
  const pings = (async () => { while (!stop) { const a = Date.now(); await (await fetch(`${dev.url}/`)).text(); console.log("root", Date.now() - t0, "took", Date.now() - a); await new Promise((r) => setTimeout(r, 100)); } })();
  const e = await j(`${dev.url}/v1/webhooks/${wh.id}/logs/export`, { method: "POST", headers: auth });
  console.log("POST returned at", Date.now() - t0);
  let st: any;
  do { await new Promise((r) => setTimeout(r, 300)); const a = Date.now(); st = await j(`${dev.url}/v1/exports/${e.id}`, { headers: auth }); console.log("GET", Date.now() - t0, "took", Date.now() - a, st.status, st.rows); } while (st.status !== "done");
  stop = true; await pings;
}
await dev.stop();
rmSync(state, { recursive: true, force: true });

/**
 * Tenant isolation, generated from the router itself (app.routes) and from the schemas each route
 * validates with (src/openapi/operations.ts, which test/openapi.test.ts holds to the router):
 * every id position of every route, in the path, the query and the body, filled with
 * organisation A's ids and sent by organisation B. A's webhooks of both types, with logs, an
 * export and certificates, answer 404 exactly as an id that does not exist, and the call changes
 * nothing in D1, in the storage objects (events, deliveries, attempts, statistics) or in R2 and
 * sends nothing to A's endpoints. An id position this file does not know
 * how to fill fails the first test, so a new route cannot slip by.
 */
import { beforeAll, describe, expect, inject, it } from "vitest";
import { jsonSchemaOf } from "../src/openapi/document";
import { OPERATIONS, type Operation } from "../src/openapi/operations";
import { call, expectStatus, ingest, INGEST_TOKEN } from "./helpers/api";
import { deliveriesOf, eventsOf } from "./helpers/db";
import { dbSnapshot } from "./helpers/db-snapshot";
import { received } from "./helpers/receivers";
import { mountedRoutes, toOpenApiPath, type MountedRoute } from "./helpers/routes";
import { makeTenant, type Tenant } from "./helpers/tenant";
import { organisationSnapshot, r2Snapshot } from "./helpers/tenant-data";

type Json = Record<string, any>;

/** A field that names a resource: `id`, `*_id`, `*_ids`, or a cursor (which carries an id). */
const ID_FIELD = /(^|_)(id|ids|cursor)$/i;

/** Id-like fields of a JSON Schema, as dotted paths (`*` for array items). */
function idFields(schema: Json | undefined, prefix = ""): string[] {
  if (!schema || typeof schema !== "object") return [];
  const out: string[] = [];
  for (const [name, sub] of Object.entries((schema.properties ?? {}) as Json)) {
    const path = prefix ? `${prefix}.${name}` : name;
    if (ID_FIELD.test(name)) out.push(path);
    out.push(...idFields(sub, path));
  }
  if (schema.items) out.push(...idFields(schema.items, prefix ? `${prefix}.*` : "*"));
  for (const k of ["anyOf", "oneOf", "allOf"]) for (const sub of (schema[k] ?? []) as Json[]) out.push(...idFields(sub, prefix));
  return [...new Set(out)];
}

const operationOf = (r: MountedRoute): Operation | undefined =>
  OPERATIONS.find((op) => op.method === r.method.toLowerCase() && op.path === toOpenApiPath(r.path));
const routeName = (r: MountedRoute) => `${r.method} ${toOpenApiPath(r.path)}`;
const bodySchema = (op: Operation): Json | undefined => (op.body ? ("zod" in op.body ? jsonSchemaOf(op.body.zod, "input") : op.body.byHand) : undefined);

/** Path positions are named by the path up to the parameter: /v1/webhooks/{id} covers every route under it. */
const pathPositions = (r: MountedRoute) =>
  r.params.map((p) => {
    const openApi = toOpenApiPath(r.path);
    return openApi.slice(0, openApi.indexOf(`{${p.name}}`) + p.name.length + 2);
  });

/** Query and body positions: "GET /v1/webhooks ?cursor", "POST /v1/checks body.webhook_id". */
function fieldPositions(r: MountedRoute, op: Operation): string[] {
  const query = op.query ? idFields(jsonSchemaOf(op.query, "input")).map((f) => `${routeName(r)} ?${f}`) : [];
  return [...query, ...idFields(bodySchema(op)).map((f) => `${routeName(r)} body.${f}`)];
}

let A: Tenant; // the owner of the ids
let B: Tenant; // the one who tries them

/** What each path position is filled with: A's resources of every kind that lives there. */
const PATH_IDS: Record<string, (before: string[]) => string[]> = {
  "/v1/webhooks/{id}": () => [A.event.id, A.check.id],
  "/v1/exports/{id}": () => [A.exportId],
  // A nested id is A's under its own webhook only (the ids before it are the filled positions).
  "/v1/webhooks/{id}/recoveries/{recovery_id}": ([webhookId]) => (webhookId === A.event.id ? [A.recoveryId] : []),
  "/v1/webhooks/{id}/deliveries/{delivery_id}": ([webhookId]) => A.deliveryIds[webhookId!] ?? [],
  "/v1/events/{event_id}": () => A.eventIds,
  "/v1/organisations/{id}": () => [String(A.id)],
  "/v1/organisations/{id}/api-keys/{key_id}": () => [A.keyId],
  // Not an id: the dashboard's two public files, which hold no data.
  "/dashboard/{file}": () => ["app.js", "app.css"],
};

/** Bodies that pass validation, so that B's call reaches the ownership check. */
const VALID_BODIES: Record<string, () => unknown> = {
  "PATCH /v1/webhooks/{id}": () => ({ name: "taken over", url: "https://attacker.example.com/hook", secret: "attacker-secret-0123456789" }),
  "PUT /v1/webhooks/{id}/certificate": () => ({ pem: inject("certs").valid }),
  "POST /v1/webhooks/{id}/test": () => ({ event: "verification.completed" }),
  "POST /v1/webhooks/{id}/resume": () => ({ replay_skipped: true }),
  "POST /v1/webhooks/{id}/recover": () => ({ since: new Date(Date.now() - 3_600_000).toISOString() }),
  "POST /v1/webhooks": () => ({ type: "event_notification", name: "B's own", url: "https://api.myapp.com/b", events: ["units.depleted"] }),
  "POST /v1/certificates/validate": () => ({ pem: inject("certs").valid, url: "http://127.0.0.1:1/hook" }),
};

/** Query and body positions, each covered by a scenario of its own below. */
const covered: string[] = [];
function scenario(position: string, name: string, fn: () => Promise<void>) {
  covered.push(position);
  it(`${position}: ${name}`, fn);
}

const fill = (r: MountedRoute, values: string[]) => r.params.reduce((p, param, i) => p.replace(new RegExp(`:${param.name}(\\{[^}]*\\})?`), values[i]!), r.path);
/** Every combination of the fillers of a route's path positions. */
const combinations = (r: MountedRoute): string[][] =>
  pathPositions(r).reduce<string[][]>((acc, pos) => acc.flatMap((done) => PATH_IDS[pos]!(done).map((v) => [...done, v])), [[]]);
/** An id of the same shape that exists nowhere: the answer to A's id must be the same. */
const absent = (id: string) => (/^\d+$/.test(id) ? "987654321" : `${id.slice(0, -6)}000000`);

async function sentTo(t: Tenant) {
  return (await received(t.buckets.event)).length + (await received(t.buckets.check)).length;
}

async function expectNoTrace(run: () => Promise<{ status: number; body: any }>, expected: number) {
  const before = { db: await dbSnapshot(), r2: await r2Snapshot(), sent: await sentTo(A) };
  const res = await run();
  expect(res.status, JSON.stringify(res.body)).toBe(expected);
  expect(await dbSnapshot(), "D1 changed").toEqual(before.db);
  expect(await r2Snapshot(), "R2 changed").toEqual(before.r2);
  expect(await sentTo(A), "a request reached A's endpoint").toBe(before.sent);
  return res;
}

const leaks = (text: string, t: Tenant) => t.markers.filter((m) => text.includes(m));

beforeAll(async () => {
  // B first: its ids sort before A's, so A's cursors, used by B, still select rows.
  B = await makeTenant("b");
  A = await makeTenant("a");
}, 60_000);

it("knows how to fill every id position of every route (a new one fails here until it is covered)", () => {
  const unknown: string[] = [];
  const found: string[] = [];
  for (const r of mountedRoutes) {
    const op = operationOf(r);
    if (!op) {
      unknown.push(`${routeName(r)}: not in src/openapi/operations.ts, so its query and body are unknown`);
      continue;
    }
    for (const pos of pathPositions(r)) if (!PATH_IDS[pos]) unknown.push(`${routeName(r)}: path position ${pos}`);
    if (r.params.length && !["organisation", "operator", "none"].includes(op.auth)) unknown.push(`${routeName(r)}: a path id on an ${op.auth} route`);
    found.push(...fieldPositions(r, op));
  }
  unknown.push(...found.filter((p) => !covered.includes(p)).map((p) => `${p}: no scenario`));
  expect(unknown).toEqual([]);
  // And no scenario for a position that is gone.
  expect(covered.filter((p) => !found.includes(p))).toEqual([]);
  expect(mountedRoutes.filter((r) => r.params.length).length).toBeGreaterThan(15);
});

describe("path ids: B calls every route with A's ids", () => {
  const withIds = mountedRoutes.filter((r) => r.params.length && operationOf(r) && pathPositions(r).every((p) => PATH_IDS[p]));

  for (const r of withIds) {
    const op = operationOf(r)!;
    const body = () => VALID_BODIES[routeName(r)]?.() ?? (op.body ? {} : undefined);

    if (op.auth === "organisation") {
      it(`${routeName(r)}: 404 for each of A's resources, the same as for none, and nothing changes`, async () => {
        for (const ids of combinations(r)) {
          const path = fill(r, ids);
          const res = await expectNoTrace(() => call(r.method, path, { token: B.key, body: body() }), 404);
          expect(res.body.error.code).toBe("NOT_FOUND");
          const nowhere = await call(r.method, fill(r, ids.map(absent)), { token: B.key, body: body() });
          expect({ status: nowhere.status, body: nowhere.body }, "A's id answers differently from one that does not exist").toEqual({ status: res.status, body: res.body });
          if (r.method === "GET") {
            // The owner gets an answer: the 404 above is about who asks, not a broken id.
            expect((await call(r.method, path, { token: A.key })).status, `${path} as its owner`).toBeLessThan(300);
          }
        }
      });
    } else if (op.auth === "operator") {
      it(`${routeName(r)}: an organisation's key is no operator token (401), and nothing changes`, async () => {
        for (const ids of combinations(r)) await expectNoTrace(() => call(r.method, fill(r, ids), { token: B.key, body: body() }), 401);
      });
    } else {
      it(`${routeName(r)}: public, and shows nothing of any organisation, with or without a key`, async () => {
        for (const ids of combinations(r)) {
          for (const token of [null, B.key, A.key]) {
            const res = await expectNoTrace(() => call(r.method, fill(r, ids), { token }), 200);
            expect(leaks(typeof res.body === "string" ? res.body : JSON.stringify(res.body), A)).toEqual([]);
          }
        }
      });
    }
  }
});

describe("routes without a path id: B's own answers hold nothing of A's", () => {
  const plain = mountedRoutes.filter((r) => !r.params.length && ["organisation", "none"].includes(operationOf(r)?.auth ?? ""));
  for (const r of plain) {
    // A public page shows nothing even to the organisation whose key is sent with it.
    const tokens = () => (operationOf(r)!.auth === "none" ? [null, A.key, B.key] : [B.key]);
    it(`${routeName(r)} as B${operationOf(r)!.auth === "none" ? ", as A and with no key" : ""}`, async () => {
      for (const token of tokens()) {
        const before = await organisationSnapshot(A.id);
        const res = await call(r.method, r.path, { token, body: VALID_BODIES[routeName(r)]?.() });
        expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
        expect(leaks(typeof res.body === "string" ? res.body : JSON.stringify(res.body), A)).toEqual([]);
        expect(await organisationSnapshot(A.id)).toEqual(before);
      }
    });
  }
});

describe("query ids", () => {
  scenario("GET /v1/webhooks ?cursor", "A's next_cursor, used by B, pages through B's webhooks only", async () => {
    const page = await expectStatus(200, "GET", "/v1/webhooks?limit=1", { token: A.key });
    expect(page.next_cursor).toEqual(expect.any(String));
    const res = await expectStatus(200, "GET", `/v1/webhooks?limit=100&cursor=${page.next_cursor}`, { token: B.key });
    const ids = res.data.map((w: Json) => w.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.sort()).toEqual(B.webhookIds.filter((id) => id < page.next_cursor).sort());
  });

  scenario("GET /v1/webhooks/{id}/logs ?cursor", "A's log cursor, used by B on B's webhook, shows B's attempts only", async () => {
    const page = await expectStatus(200, "GET", `/v1/webhooks/${A.event.id}/logs?limit=1`, { token: A.key });
    expect(page.next_cursor).toEqual(expect.any(String));
    const own = await expectStatus(200, "GET", `/v1/webhooks/${B.event.id}/logs?limit=500`, { token: B.key });
    const res = await expectStatus(200, "GET", `/v1/webhooks/${B.event.id}/logs?limit=500&cursor=${page.next_cursor}`, { token: B.key });
    expect(res.data.length).toBeGreaterThan(0);
    const ownIds = own.data.map((a: Json) => a.id);
    for (const row of res.data) expect(ownIds).toContain(row.id);
    expect(leaks(JSON.stringify(res), A)).toEqual([]);
  });
});

describe("body ids (internal routes, INGEST_TOKEN)", () => {
  scenario("POST /v1/events body.organisation_id", "an event for one organisation reaches its webhooks only", async () => {
    for (const [to, other] of [[A, B], [B, A]] as const) {
      const marker = `only-for-${to.tag}-${Math.random().toString(36).slice(2)}`;
      const otherBefore = await sentTo(other);
      const res = await ingest({ event: "units.depleted", organisation_id: to.id, data: { marker } });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body.deliveries).toBe(1);
      const got = await waitForBody(to.buckets.event, marker);
      expect(JSON.parse(got).organisation_id).toBe(to.id);
      // Nothing of it in the other's storage: no event in its shards, no delivery in its webhooks' partitions.
      expect((await eventsOf(other.id)).map((e) => e.id)).not.toContain(res.body.event_id);
      for (const w of other.webhookIds) expect((await deliveriesOf(w)).filter((d) => d.event_id === res.body.event_id)).toEqual([]);
      expect(await sentTo(other)).toBe(otherBefore);
    }
    // An organisation that does not exist: 404, nothing written.
    await expectNoTrace(() => ingest({ event: "units.depleted", organisation_id: 987654321, data: {} }), 404);
  });

  scenario("POST /v1/events body.event_id", "A's event id, sent for B, is a new event of B's: no 409 that would tell A's ids apart", async () => {
    const aBefore = await organisationSnapshot(A.id);
    const sentA = await sentTo(A);
    const marker = `b-reuses-${Math.random().toString(36).slice(2)}`;
    const res = await ingest({ event: "units.depleted", organisation_id: B.id, event_id: A.eventIds[0], data: { marker } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ event_id: A.eventIds[0], deliveries: 1 });
    expect(JSON.parse(await waitForBody(B.buckets.event, marker))).toMatchObject({ event_id: A.eventIds[0], organisation_id: B.id, data: { marker } });
    expect(await organisationSnapshot(A.id)).toEqual(aBefore);
    expect(await sentTo(A)).toBe(sentA);
  });

  const check = (organisation_id: number, webhook_id: string) =>
    call("POST", "/v1/checks", { token: INGEST_TOKEN, body: { organisation_id, webhook_id, input: { customer_id: "cust_1" } } });

  scenario("POST /v1/checks body.webhook_id", "A's check webhook with B's organisation: 404, nothing sent or logged", async () => {
    const res = await expectNoTrace(() => check(B.id, A.check.id), 404);
    expect(res.body.error.code).toBe("NOT_FOUND");
    expect((await check(A.id, A.check.id)).status, "the same webhook with its own organisation").toBe(200);
  });

  scenario("POST /v1/checks body.organisation_id", "A's organisation with B's check webhook: 404, nothing sent or logged", async () => {
    const before = await sentTo(B);
    const res = await expectNoTrace(() => check(A.id, B.check.id), 404);
    expect(res.body.error.code).toBe("NOT_FOUND");
    expect(await sentTo(B)).toBe(before);
  });
});

async function waitForBody(bucketName: string, marker: string): Promise<string> {
  const until = Date.now() + 15_000;
  for (;;) {
    const hit = (await received(bucketName)).find((r) => r.body.includes(marker));
    if (hit) return hit.body;
    if (Date.now() > until) throw new Error(`nothing with ${marker} reached ${bucketName}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Operator routes to list and revoke an organisation's API keys. */
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, INGEST_TOKEN, call, createOrganisation, expectStatus } from "./helpers/api";
import { dbSnapshot } from "./helpers/db-snapshot";

const keysOf = (orgId: number) => expectStatus(200, "GET", `/v1/organisations/${orgId}/api-keys`, { token: ADMIN_TOKEN });

describe("GET /v1/organisations/{id}/api-keys", () => {
  it("lists ids and ages, newest first, never the keys", async () => {
    const org = await createOrganisation();
    const second = await expectStatus(201, "POST", `/v1/organisations/${org.id}/api-keys`, { token: ADMIN_TOKEN });
    const list = await keysOf(org.id);
    expect(list.data).toHaveLength(2);
    expect(list.data[0]).toEqual({ id: second.id, created_at: second.created_at });
    expect(Object.keys(list.data[1]).sort()).toEqual(["created_at", "id"]);
    expect(JSON.stringify(list)).not.toContain("nfk_");
  });

  it("answers 404 for an unknown organisation and 401 without the admin token", async () => {
    const org = await createOrganisation();
    expect((await call("GET", "/v1/organisations/999999/api-keys", { token: ADMIN_TOKEN })).status).toBe(404);
    for (const token of [null, org.api_key, INGEST_TOKEN]) expect((await call("GET", `/v1/organisations/${org.id}/api-keys`, { token })).status).toBe(401);
  });
});

describe("DELETE /v1/organisations/{id}/api-keys/{key_id}", () => {
  it("revokes a key from the next request on, leaving the organisation's other keys working", async () => {
    const org = await createOrganisation();
    const spare = await expectStatus(201, "POST", `/v1/organisations/${org.id}/api-keys`, { token: ADMIN_TOKEN });
    await expectStatus(200, "GET", "/v1/webhooks", { token: org.api_key });
    const first = (await keysOf(org.id)).data.find((k: { id: string }) => k.id !== spare.id);

    const res = await call("DELETE", `/v1/organisations/${org.id}/api-keys/${first.id}`, { token: ADMIN_TOKEN });
    expect(res.status).toBe(204);
    const refused = await call("GET", "/v1/webhooks", { token: org.api_key });
    expect([refused.status, refused.body.error.code]).toEqual([401, "UNAUTHORIZED"]);
    await expectStatus(200, "GET", "/v1/webhooks", { token: spare.api_key });
    expect((await keysOf(org.id)).data.map((k: { id: string }) => k.id)).toEqual([spare.id]);
    // Gone is gone: a second revocation finds nothing.
    expect((await call("DELETE", `/v1/organisations/${org.id}/api-keys/${first.id}`, { token: ADMIN_TOKEN })).status).toBe(404);
  });

  it("answers 404 for another organisation's key or an unknown one, changing nothing", async () => {
    const [org, other] = [await createOrganisation(), await createOrganisation()];
    const otherKey = (await keysOf(other.id)).data[0].id;
    const before = await dbSnapshot();
    for (const path of [`/v1/organisations/${org.id}/api-keys/${otherKey}`, `/v1/organisations/${org.id}/api-keys/key_nope`, `/v1/organisations/999999/api-keys/${otherKey}`]) {
      const res = await call("DELETE", path, { token: ADMIN_TOKEN });
      expect([res.status, res.body.error.code], path).toEqual([404, "NOT_FOUND"]);
    }
    expect(await dbSnapshot()).toEqual(before);
    await expectStatus(200, "GET", "/v1/webhooks", { token: other.api_key });
  });

  it("answers 401 without the admin token, even with the organisation's own key, changing nothing", async () => {
    const org = await createOrganisation();
    const keyId = (await keysOf(org.id)).data[0].id;
    const before = await dbSnapshot();
    for (const token of [null, "wrong", org.api_key, INGEST_TOKEN]) {
      expect((await call("DELETE", `/v1/organisations/${org.id}/api-keys/${keyId}`, { token })).status, String(token)).toBe(401);
    }
    expect(await dbSnapshot()).toEqual(before);
  });
});

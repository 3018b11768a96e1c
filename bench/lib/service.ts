/** Talking to the service under benchmark: an organisation, webhooks and the ingest request. */
export const SECRET = "whsec_" + Buffer.from("benchmark-secret-benchmark-secret").toString("base64");
const ADMIN = { Authorization: "Bearer dev-admin-token", "Content-Type": "application/json" };
export const INGEST_HEADERS = { Authorization: "Bearer dev-ingest-token", "Content-Type": "application/json" };

async function post(url: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(url, { method: "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** An organisation with `count` active webhooks subscribed to verification.completed. */
export async function setupOrganisation(base: string, receiverUrl: string, count: number, subscribe = true, prefix = "/hook") {
  const org = await post(`${base}/v1/organisations`, ADMIN, { name: "Bench", notification_email: "bench@example.com" });
  const auth = { Authorization: `Bearer ${org.api_key}`, "Content-Type": "application/json" };
  for (let i = 0; i < count; i++) {
    const wh = await post(`${base}/v1/webhooks`, auth, {
      type: "event_notification",
      name: `Bench ${i}`,
      url: `${receiverUrl}${prefix}/${i}`,
      events: [subscribe ? "verification.completed" : "units.depleted"],
      secret: SECRET,
    });
    await post(`${base}/v1/webhooks/${wh.id}/activate`, auth);
  }
  return org.id as number;
}

/**
 * Ten webhooks of one organisation on one event, the first at `firstUrl` (a hanging endpoint,
 * or a healthy one outside the measured prefix), the other nine at `${receiverUrl}${prefix}/i`.
 */
export async function setupNeighbours(base: string, receiverUrl: string, prefix: string, firstUrl: string) {
  const org = await post(`${base}/v1/organisations`, ADMIN, { name: "Bench neighbours", notification_email: "bench@example.com" });
  const auth = { Authorization: `Bearer ${org.api_key}`, "Content-Type": "application/json" };
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    const url = i === 0 ? firstUrl : `${receiverUrl}${prefix}/${i}`;
    const wh = await post(`${base}/v1/webhooks`, auth, { type: "event_notification", name: `Neighbour ${i}`, url, events: ["verification.completed"], secret: SECRET });
    await post(`${base}/v1/webhooks/${wh.id}/activate`, auth);
    ids.push(wh.id as string);
  }
  return { orgId: org.id as number, key: org.api_key as string, hangingId: ids[0]!, healthy: ids.slice(1) };
}

export const eventBody = (organisationId: number) =>
  JSON.stringify({
    event: "verification.completed",
    organisation_id: organisationId,
    data: { verification_id: "ver_xyz789", workflow_id: "wf_abc123", workflow_name: "Basic KYC", status: "success", confidence: 0.87 },
  });

/**
 * The DeliveryLog object's delivery detail and what an attempt row keeps: each attempt whole,
 * rebuilt from the delivery row and the revision (test/delivery-log.test.ts has the log itself).
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DeliveryLog } from "../src/durable/delivery-log/object";
import { signedHeaders } from "../src/delivery/signing-headers";
import type { AttemptWrite } from "../src/storage/contract";
import { deliveryLog } from "../src/storage/stubs";
import { delivery, partition, T0, write } from "./helpers/partition-fixtures";

describe("DeliveryLog.detail", () => {
  it("shows the delivery and each attempt in attempt order, with what its request is rebuilt from", async () => {
    const { scope, log } = partition();
    const d = delivery(T0);
    await log.accept(scope, [d]);
    const one = write(d, 1, "retrying", T0 + 10, { response_body: "busy", response_content_type: "text/plain" });
    const two = write(d, 2, "success", T0 + 2_010, { revision_id: "rev_first", signed_headers: '[["webhook-signature","v1,ab••"]]' });
    await log.record(scope, [one]);
    await log.record(scope, [two]);
    const detail = await log.detail(scope, d.id);
    expect(detail!.delivery).toMatchObject({ id: d.id, event_id: d.event_id, event: d.event, status: "success", attempts: 2, organisation_id: scope.organisationId });
    const shown = (a: AttemptWrite) => ({
      id: a.id, attempt: a.attempt, status: a.status, response_code: a.response_code, response_time_ms: a.response_time_ms,
      response_content_type: a.response_content_type, response_body: a.response_body, error_code: a.error_code, error: a.error,
      created_at: a.created_at, signed_headers: a.signed_headers, revision_id: a.revision_id,
    });
    expect(detail!.attempts).toEqual([shown(one), shown(two)]);
    expect(await log.detail(scope, "dlv_nothere")).toBeNull();
  });
});

describe("DeliveryLog attempt rows", () => {
  /** The signing headers as src/delivery/build-request.ts sets them and the consumer logs them (masked JSON pairs). */
  const signing = (deliveryId: string, at: number, rotating: boolean, over: Record<string, string> = {}) => {
    const h = new Headers({ "x-nafsi-signature": `sha256=${"ab12".repeat(16)}` });
    if (rotating) h.set("x-nafsi-signature-next", `sha256=${"cd34".repeat(16)}`);
    h.set("webhook-id", deliveryId);
    h.set("webhook-timestamp", String(Math.floor(at / 1000)));
    h.set("webhook-signature", rotating ? `v1,${"Qk9C".repeat(11)}= v1,${"YWxp".repeat(11)}=` : `v1,${"Zm9v".repeat(11)}=`);
    for (const [name, value] of Object.entries(over)) h.set(name, value);
    return signedHeaders(h);
  };
  const stored = (log: ReturnType<typeof deliveryLog>, deliveryId: string) =>
    runInDurableObject(log, (_o, state) => ({
      delivery: state.storage.sql.exec("SELECT revision_id, origin_revision_id, attempt_keys FROM deliveries WHERE id = ?", deliveryId).one(),
      attempts: state.storage.sql.exec("SELECT revision_id, signed_headers FROM attempts WHERE delivery_id = ? ORDER BY attempt", deliveryId).toArray(),
    }));

  it("keeps only what the delivery does not hold, and the detail shows each attempt whole, across resends to other revisions", async () => {
    const { scope, log } = partition();
    const d = delivery(T0);
    await log.accept(scope, [d]);
    const one = write(d, 1, "failed", T0 + 10, { signed_headers: signing(d.id, T0 + 10, false) });
    await log.record(scope, [one]);
    // Re-sent with another revision (a rotation's overlap: both signatures), then back with the first.
    await log.resend(scope, [d.id], "rev_second", { now: T0 + 4_000 });
    const two = write(d, 2, "failed", T0 + 5_000, { revision_id: "rev_second", signed_headers: signing(d.id, T0 + 5_000, true) });
    await log.record(scope, [two]);
    await log.resend(scope, [d.id], "rev_first", { now: T0 + 6_000 });
    // A timestamp not of the attempt's time: nothing to derive it from, kept as it came.
    const three = write(d, 3, "success", T0 + 7_000, { signed_headers: signing(d.id, T0 + 7_000, false, { "webhook-timestamp": "12" }) });
    await log.record(scope, [three]);
    const skipped = delivery(T0 + 20, { status: "skipped" });
    // Not JSON pairs at all: kept and shown as it came.
    const odd = delivery(T0 + 30);
    const oddAttempt = write(odd, 1, "success", T0 + 40, { signed_headers: "i t" });
    await log.accept(scope, [skipped, odd]);
    await log.record(scope, [oddAttempt]);
    expect((await log.detail(scope, odd.id))!.attempts[0]!.signed_headers).toBe("i t");

    const detail = await log.detail(scope, d.id);
    expect(detail!.attempts.map((a) => [a.revision_id, a.signed_headers])).toEqual([one, two, three].map((a) => [a.revision_id, a.signed_headers]));
    expect((await log.detail(scope, skipped.id))!.attempts.map((a) => [a.revision_id, a.signed_headers])).toEqual([[null, null]]);
    const page = await log.page(scope, {}, null, 10);
    const eventOf = new Map([d, skipped, odd].map((x) => [x.id, x.event_id]));
    expect(page.map((r) => [r.event_id, r.event, r.test])).toEqual(page.map((r) => [eventOf.get(r.delivery_id), d.event, 0]));

    const rows = await stored(log, d.id);
    // The delivery keeps its first revision once a resend changed it; its attempts name a revision only when it is another.
    expect(rows.delivery).toMatchObject({ revision_id: "rev_first", origin_revision_id: "rev_first" });
    expect(rows.attempts.map((a) => a.revision_id)).toEqual([null, "rev_second", null]);
    expect(rows.delivery.attempt_keys).toBe([one, two, three].map((a) => a.id.slice(4)).join(" "));
    // Signing headers: the signatures' last four characters (or the value, where the masking left it whole) and which headers were sent.
    expect(rows.attempts.map((a) => a.signed_headers)).toEqual(["nab12 i t sm9v=", "nab12 xcd34 i t sWxp=", three.signed_headers]);
    expect((await stored(log, skipped.id)).attempts.map((a) => a.revision_id)).toEqual([""]);
  });
});

/**
 * A log row opens its delivery's detail: the payload as sent, the attempt's request with the
 * credential header masked and the endpoint's response; Resend sends it again with the same
 * delivery id, and the dialog shows the new attempt.
 */
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { type Browsing, call, openSignedIn, type Receiver, type Service, startReceiver, startService } from "./harness";

let service: Service;
let receiver: Receiver;
let b: Browsing;
let webhookId = "";

beforeAll(async () => {
  [service, receiver] = await Promise.all([startService(), startReceiver()]);
  const org = await call(`${service.url}/v1/organisations`, "POST", "dev-admin-token", { name: "Detail Ltd", notification_email: "ops@detail.test" });
  const wh = await call(`${service.url}/v1/webhooks`, "POST", org.api_key, {
    type: "event_notification", name: "Orders", url: `${receiver.url}/hooks/detail`, events: ["verification.completed"],
    headers: [{ name: "Authorization", value: "Bearer browser-credential-0123456789" }],
  });
  webhookId = wh.id;
  await call(`${service.url}/v1/webhooks/${webhookId}/activate`, "POST", org.api_key);
  await call(`${service.url}/v1/events`, "POST", "dev-ingest-token", { event: "verification.completed", organisation_id: org.id, data: { verification_id: "ver_browser_detail", workflow_id: "wf_abc123", status: "success" } });
  for (let i = 0; i < 100 && receiver.received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  b = await openSignedIn(service.url, org.api_key);
}, 120_000);

afterAll(async () => {
  await b?.browser.close();
  receiver?.close();
  service?.stop();
});

afterEach(() => {
  expect(b.problems).toEqual([]);
});

it("opens a log row's delivery, shows its payload, request and response, and resends it", async () => {
  const { page } = b;
  expect(receiver.received).toHaveLength(1);
  await page.goto(`${service.url}/dashboard#/webhooks/${webhookId}/logs`);
  await page.getByRole("heading", { name: "Delivery logs: Orders" }).waitFor();
  await page.getByRole("button", { name: /^Show the delivery of / }).first().click();

  const deliveryId = String(receiver.received[0]!.headers["x-delivery-id"]);
  const dialog = page.getByRole("dialog", { name: `Delivery ${deliveryId}` });
  await dialog.getByRole("heading", { name: "Payload" }).waitFor();
  expect(await dialog.locator("pre.payload").textContent()).toContain("ver_browser_detail");
  await dialog.getByText(`POST ${receiver.url}/hooks/detail`).waitFor();
  const text = (await dialog.textContent()) ?? "";
  expect(text).toContain("x-delivery-id");
  expect(text).toContain(deliveryId);
  expect(text).toContain("••••6789");
  expect(text).not.toContain("browser-credential");
  expect(await dialog.locator("pre.response-body").textContent()).toContain('"received":true');

  await dialog.getByRole("button", { name: "Resend" }).click();
  await dialog.getByText("Resent: attempt 2 is on its way.").waitFor();
  for (let i = 0; i < 100 && receiver.received.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
  expect(receiver.received).toHaveLength(2);
  expect(receiver.received[1]!.headers["x-delivery-id"]).toBe(deliveryId);
  // Opened again once the attempt is logged (a wave settles within about a second): both attempts.
  await page.waitForTimeout(2_000);
  await dialog.getByRole("button", { name: "Close" }).click();
  await page.getByRole("button", { name: /^Show the delivery of / }).first().click();
  await dialog.locator("section.attempt[data-attempt='2']").waitFor();
  expect(await dialog.locator("section.attempt").count()).toBe(2);
});

/**
 * Recover on the logs screen: a paused webhook's skipped deliveries are re-sent from the
 * dashboard, the dialog follows the job to "Done", and each one reaches the receiver once; a
 * range that starts in the future is shown as the API's error on its field.
 */
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { type Browsing, call, openSignedIn, type Receiver, type Service, startReceiver, startService } from "./harness";

let service: Service;
let receiver: Receiver;
let b: Browsing;
let org: { id: number; api_key: string };
let webhookId = "";

beforeAll(async () => {
  [service, receiver] = await Promise.all([startService(), startReceiver()]);
  org = await call(`${service.url}/v1/organisations`, "POST", "dev-admin-token", { name: "Recover Ltd", notification_email: "ops@recover.test" });
  const wh = await call(`${service.url}/v1/webhooks`, "POST", org.api_key, { type: "event_notification", name: "Orders", url: `${receiver.url}/hooks/recover`, events: ["verification.completed"] });
  webhookId = wh.id;
  await call(`${service.url}/v1/webhooks/${webhookId}/activate`, "POST", org.api_key);
  await call(`${service.url}/v1/webhooks/${webhookId}/pause`, "POST", org.api_key);
  for (let i = 0; i < 3; i++) {
    await call(`${service.url}/v1/events`, "POST", "dev-ingest-token", { event: "verification.completed", organisation_id: org.id, data: { verification_id: `ver_${i}`, workflow_id: "wf_abc123", workflow_name: "Basic KYC", status: "success", confidence: 0.9 } });
  }
  await call(`${service.url}/v1/webhooks/${webhookId}/resume`, "POST", org.api_key, {});
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

it("re-sends the skipped deliveries from the logs screen and shows the recovery's progress to done", async () => {
  const { page } = b;
  await page.goto(`${service.url}/dashboard#/webhooks/${webhookId}/logs`);
  await page.getByRole("heading", { name: "Delivery logs: Orders" }).waitFor();
  expect(await page.locator("table.logs tbody tr").count()).toBe(3);
  expect(receiver.received).toHaveLength(0);

  await page.getByRole("button", { name: "Recover…" }).click();
  const dialog = page.getByRole("dialog", { name: "Recover Orders" });
  // A range that starts tomorrow: the API's error, shown by the field it names.
  await dialog.getByLabel("From").fill(new Date(Date.now() + 86_400_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16));
  // The browser logs the 400 as a failed resource: expected here.
  await b.expectingErrors(/status of 400.*\/recover/, async () => {
    await dialog.getByRole("button", { name: "Start recovery" }).click();
    await dialog.getByText("must be in the past").first().waitFor();
  });
  expect(await dialog.getByLabel("From").getAttribute("aria-invalid")).toBe("true");

  await dialog.getByLabel("From").fill(new Date(Date.now() - 3_600_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16));
  await dialog.getByRole("button", { name: "Start recovery" }).click();
  await dialog.getByText("✅ Done: 3 of 3 re-sent").waitFor({ timeout: 30_000 });
  expect(await dialog.getByRole("progressbar", { name: "Recovery progress" }).getAttribute("value")).toBe("3");
  await b.shot("31-recover-done");
  await expect.poll(() => receiver.received.length, { timeout: 20_000 }).toBe(3);
  expect(new Set(receiver.received.map((r) => r.headers["x-delivery-id"])).size).toBe(3);

  await dialog.getByRole("button", { name: "Close" }).click();
  await dialog.waitFor({ state: "detached" });
  // Again over the same range: everything arrived, so nothing is sent.
  await page.getByRole("button", { name: "Recover…" }).click();
  await dialog.getByLabel("From").fill(new Date(Date.now() - 3_600_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16));
  await dialog.getByRole("button", { name: "Start recovery" }).click();
  await dialog.getByText("✅ Nothing to re-send in this range").waitFor({ timeout: 30_000 });
  expect(receiver.received).toHaveLength(3);
}, 120_000);

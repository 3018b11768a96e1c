/**
 * Rotate secret on the edit screen: a secret the API refuses is shown by its field; a rotation
 * with the default overlap shows the new secret once, the screen then names its last four
 * characters, and the next delivery (a test event) carries both signatures (checked at the receiver).
 */
import { createHmac } from "node:crypto";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { type Browsing, call, openSignedIn, type Receiver, type Service, startReceiver, startService } from "./harness";

const OLD = "old-secret-0123456789abcdef";
const hmac = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

let service: Service;
let receiver: Receiver;
let b: Browsing;
let org: { id: number; api_key: string };
let webhookId = "";

beforeAll(async () => {
  [service, receiver] = await Promise.all([startService(), startReceiver()]);
  org = await call(`${service.url}/v1/organisations`, "POST", "dev-admin-token", { name: "Rotate Ltd", notification_email: "ops@rotate.test" });
  const wh = await call(`${service.url}/v1/webhooks`, "POST", org.api_key, { type: "event_notification", name: "Orders", url: `${receiver.url}/hooks/rotate`, events: ["verification.completed"], secret: OLD });
  webhookId = wh.id;
  await call(`${service.url}/v1/webhooks/${webhookId}/activate`, "POST", org.api_key);
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

it("rotates the secret from the edit screen, shows the new one once, and deliveries carry both signatures", async () => {
  const { page } = b;
  await page.goto(`${service.url}/dashboard#/webhooks/${webhookId}/edit`);
  await page.getByRole("heading", { level: 1, name: "Edit Orders" }).waitFor();
  await page.getByRole("button", { name: "Rotate secret" }).click();
  const dialog = page.getByRole("dialog", { name: "Rotate the secret of Orders" });
  expect(await dialog.getByLabel("Overlap").inputValue()).toBe("86400");

  // Too short: the API's rule, by the field.
  await dialog.getByLabel("New secret (optional)").fill("short");
  await b.expectingErrors(/400/, async () => {
    await dialog.getByRole("button", { name: "Rotate secret" }).click();
    await dialog.getByText("must be at least 16 characters").first().waitFor();
  });
  expect(await dialog.getByLabel("New secret (optional)").getAttribute("aria-invalid")).toBe("true");

  await dialog.getByLabel("New secret (optional)").fill("");
  await dialog.getByRole("button", { name: "Rotate secret" }).click();
  await dialog.getByText(/✅ The secret was rotated: both sign until/).waitFor();
  const secret = await dialog.getByLabel("New secret", { exact: true }).inputValue();
  expect(secret).toMatch(/^whsec_/);
  expect(await dialog.getByRole("button", { name: "Rotate secret" }).count()).toBe(0);
  await b.shot("41-rotate-secret-shown-once");

  await dialog.getByRole("button", { name: "Close" }).click();
  await dialog.waitFor({ state: "detached" });
  await page.getByText(/The secret was rotated/).first().waitFor();
  await page.getByText(secret.slice(-4), { exact: true }).first().waitFor();
  // Shown once: nowhere on the page now.
  expect(await page.content()).not.toContain(secret);

  await call(`${service.url}/v1/webhooks/${webhookId}/test`, "POST", org.api_key, { event: "verification.completed" });
  await expect.poll(() => receiver.received.length, { timeout: 20_000 }).toBe(1);
  const [got] = receiver.received;
  expect(got!.headers["x-nafsi-signature"]).toBe(hmac(OLD, got!.body));
  expect(got!.headers["x-nafsi-signature-next"]).toBe(hmac(secret, got!.body));
  expect(got!.headers["webhook-signature"]).toMatch(/^v1,\S+$/);
}, 120_000);

/**
 * The retry schedule on the dashboard: the create wizard offers the default (2, 4) in words,
 * shows the API's rule by the field when a delay is out of range and takes the person back to
 * that step, and saves a valid one; the edit screen shows the stored schedule and changes it.
 * A verification check has no retry schedule on its edit screen.
 */
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { type Browsing, call, openSignedIn, type Receiver, type Service, startReceiver, startService } from "./harness";

let service: Service;
let receiver: Receiver;
let b: Browsing;
let org: { id: number; api_key: string };

beforeAll(async () => {
  [service, receiver] = await Promise.all([startService(), startReceiver()]);
  org = await call(`${service.url}/v1/organisations`, "POST", "dev-admin-token", { name: "Retry Ltd", notification_email: "ops@retry.test" });
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

const webhooks = async () => (await call(`${service.url}/v1/webhooks`, "GET", org.api_key)).data as { id: string; name: string; retry_schedule: number[] | null }[];

it("creates a webhook with its own retry schedule, after the API refused a delay past 12 hours", async () => {
  const { page } = b;
  await page.getByRole("link", { name: "Create Webhook" }).first().click();
  await page.getByRole("heading", { name: "Step 1: Basic Information" }).waitFor();
  await page.getByLabel("Name", { exact: true }).fill("Slow retries");
  await page.getByLabel("Webhook URL").fill(`${receiver.url}/hooks/ok`);
  for (const step of ["Step 2: Authentication (mTLS)", "Step 3: Custom Headers", "Step 4: Event Subscription"]) {
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("heading", { name: step }).waitFor();
  }
  const schedule = page.getByLabel("Retry schedule (seconds)");
  expect(await schedule.inputValue()).toBe("2, 4");
  await page.getByText("3 attempts: at once, then 2 s later, then 4 s later.").waitFor();

  await schedule.fill("30, 300, 50000");
  await page.getByText("4 attempts: at once, then 30 s later, then 5 min (±10%) later, then 50000 s (±10%) later.").waitFor();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("heading", { name: "Step 5: Verification Criteria" }).waitFor();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("heading", { name: "Step 6: Review & Create" }).waitFor();
  await page.getByText("4 attempts: at once, then 30 s later").waitFor();

  await b.expectingErrors(/status of 400/, async () => {
    await page.getByRole("button", { name: "Create Webhook" }).click();
    await page.getByRole("heading", { name: "Step 4: Event Subscription" }).waitFor();
  });
  const error = page.locator(".field:has(input[name=retry_schedule]) .field-error");
  await expect.poll(() => error.textContent()).toMatch(/from 1 to 43200/);
  expect(await schedule.getAttribute("aria-invalid")).toBe("true");
  expect(await webhooks()).toEqual([]);
  await b.shot("51-create-retry-schedule-error");

  await schedule.fill("30, 300, 3600");
  for (const step of ["Step 5: Verification Criteria", "Step 6: Review & Create"]) {
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("heading", { name: step }).waitFor();
  }
  await page.getByRole("button", { name: "Create Webhook" }).click();
  await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
  expect((await webhooks()).map((w) => [w.name, w.retry_schedule])).toEqual([["Slow retries", [30, 300, 3600]]]);
});

it("changes the schedule on the edit screen; a check has none", async () => {
  const { page } = b;
  const [w] = await webhooks();
  await page.goto(`${service.url}/dashboard#/webhooks/${w!.id}/edit`);
  await page.getByRole("heading", { level: 1, name: "Edit Slow retries" }).waitFor();
  const schedule = page.getByLabel("Retry schedule (seconds)");
  expect(await schedule.inputValue()).toBe("30, 300, 3600");
  await page.getByText("4 attempts: at once, then 30 s later, then 5 min (±10%) later, then 1 h (±10%) later.").waitFor();
  await schedule.fill("");
  await page.getByText("1 attempt: no retries.").waitFor();
  await b.shot("52-edit-retry-schedule");
  await page.getByRole("button", { name: "Update Webhook" }).click();
  await page.getByText("The webhook was updated.").waitFor();
  expect((await call(`${service.url}/v1/webhooks/${w!.id}`, "GET", org.api_key)).retry_schedule).toEqual([]);

  const check = await call(`${service.url}/v1/webhooks`, "POST", org.api_key, { type: "verification_check", name: "Checker", url: `${receiver.url}/hooks/ok` });
  await page.goto(`${service.url}/dashboard#/webhooks/${check.id}/edit`);
  await page.getByRole("heading", { level: 1, name: "Edit Checker" }).waitFor();
  expect(await page.getByLabel("Retry schedule (seconds)").count()).toBe(0);
  // Saving a check's other settings sends no retry_schedule (the API would refuse it).
  await page.getByRole("button", { name: "Update Webhook" }).click();
  await page.getByText("The webhook was updated.").waitFor();
});

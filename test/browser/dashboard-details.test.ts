/**
 * More of the dashboard: the test dialog words each result as the product document does (failed
 * with the status, timeout); a Verification Check webhook is created with its criteria, the
 * criteria step showing the errors of its own fields; the edit screen shows the API's field
 * errors by their fields; the logs page through more than a page; a certificate is validated in
 * the wizard without saving a webhook, and removed on the edit screen. (A TLS failure cannot be shown
 * here: under wrangler dev the runtime reports it to the worker as "internal error";
 * dashboard/words.test.ts checks its wording.)
 */
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { call, makeCaPem, openBrowser, startReceiver, startService, type Browsing, type Receiver, type Service } from "./harness";

let service: Service;
let receiver: Receiver;
let b: Browsing;
let org: { id: number; api_key: string };

const webhook = (name: string, url: string) =>
  call(`${service.url}/v1/webhooks`, "POST", org.api_key, { type: "event_notification", name, url, events: ["verification.completed", "workflow.created"] });

beforeAll(async () => {
  // A short delivery timeout, so that the timeout result takes seconds, not the product's 30.
  [service, receiver] = await Promise.all([startService({ DELIVERY_TIMEOUT_MS: "1500" }), startReceiver()]);
  org = await call(`${service.url}/v1/organisations`, "POST", "dev-admin-token", { name: "Checks Ltd", notification_email: "ops@checks.test" });
  await webhook("Slow endpoint", `${receiver.url}/hooks/hang`);
  await webhook("Failing endpoint", `${receiver.url}/hooks/ok`);
  b = await openBrowser();
  await b.page.goto(`${service.url}/dashboard`);
  await b.page.getByLabel("API key").fill(org.api_key);
  await b.page.getByRole("button", { name: "Sign in" }).click();
  await b.page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
});

afterAll(async () => {
  await b?.browser.close();
  receiver?.close();
  service?.stop();
});

afterEach(() => {
  expect(b.problems).toEqual([]);
});

describe("test results", () => {
  it.each([
    ["Failing endpoint", "workflow.created", /^❌ Failed \(HTTP 500\) - Server error$/, "21-test-failed"],
    ["Slow endpoint", "verification.completed", /^⏱️ Timeout \(1\.\ds\) - Endpoint too slow$/, "22-test-timeout"],
  ])("%s, sent %s: the document's words", async (name, event, words, shot) => {
    const { page } = b;
    await page.getByRole("button", { name: `Test ${name}` }).click();
    const dialog = page.getByRole("dialog", { name: `Test ${name}` });
    await dialog.getByLabel("Event type").selectOption(event);
    await dialog.getByRole("button", { name: "Send Test Event" }).click();
    const result = dialog.locator(".result");
    await result.waitFor();
    expect(await result.textContent()).toMatch(words);
    await b.shot(shot);
    await dialog.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "detached" });
  });
});

describe("a Verification Check webhook", () => {
  it("is created with its criteria; the criteria step shows the errors of its own fields", async () => {
    const { page } = b;
    await page.getByRole("link", { name: "Create Webhook" }).first().click();
    await page.getByLabel("Verification Check").check();
    await page.getByLabel("Name", { exact: true }).fill("Liveness check");
    await page.getByLabel("Webhook URL").fill(`${receiver.url}/hooks/check`);
    for (const step of ["Step 1", "Step 2", "Step 3"]) {
      await page.getByRole("heading", { name: new RegExp(step) }).waitFor();
      await page.getByRole("button", { name: "Next" }).click();
    }
    await page.getByText("Event subscription applies to Event Notification webhooks only").waitFor();
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByRole("heading", { name: "Step 5: Verification Criteria" }).waitFor();
    expect(await page.getByRole("switch", { name: "Require Success Field" }).isChecked()).toBe(true);
    expect(await page.getByLabel("Minimum Threshold").inputValue()).toBe("0.85");
    await page.getByRole("switch", { name: "Require Score Field" }).uncheck();
    await page.getByLabel("Minimum Threshold").fill("1.5");
    await page.getByLabel("Request Schema (optional)").fill("{not json");
    // The number field's own limit (0 to 1) keeps the person on the step.
    await page.getByRole("button", { name: "Next" }).click();
    expect(await page.getByLabel("Minimum Threshold").evaluate((e) => (e as unknown as { validity: { valid: boolean } }).validity.valid)).toBe(false);
    expect(await page.getByRole("heading", { name: "Step 5: Verification Criteria" }).count()).toBe(1);

    await page.getByLabel("Minimum Threshold").fill("0.9");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Create Webhook" }).click();
    // The schema box is not JSON: said next to it, before anything is sent.
    await page.getByRole("heading", { name: "Step 5: Verification Criteria" }).waitFor();
    expect(await page.locator(".field:has([data-path='criteria.request_schema']) .field-error").textContent()).toMatch(/must be JSON/);
    await b.shot("23-create-criteria-error");
    await page.getByLabel("Request Schema (optional)").fill('{"type": "object", "required": ["verification_id"]}');
    await page.getByLabel("Response Schema (optional)").fill('{"type": "object", "required": ["success", "score"]}');
    await page.getByRole("button", { name: "Next" }).click();
    expect(await page.locator("dl.review").textContent()).toMatch(/score field not required, minimum 0\.9.*request schema set, response schema set/);
    await page.getByRole("button", { name: "Create Webhook" }).click();
    await page.getByText("“Liveness check” was created").waitFor();

    const list = await call(`${service.url}/v1/webhooks?type=verification_check`, "GET", org.api_key);
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({
      events: [],
      criteria: { require_success: true, require_score: false, min_score: 0.9, request_schema: { required: ["verification_id"] }, response_schema: { required: ["success", "score"] } },
    });
    const row = page.locator(`tr[data-webhook="${list.data[0].id}"]`);
    expect(await row.textContent()).toMatch(/Liveness check.*Verification Check.*—.*Inactive/);

    await row.getByRole("button", { name: /^Test/ }).click();
    const dialog = page.getByRole("dialog", { name: "Test Liveness check" });
    expect(await dialog.getByLabel("Event type").locator("option").allTextContents()).toEqual(["verification.check (a sample verification check)"]);
    await dialog.getByRole("button", { name: "Send Test Event" }).click();
    await dialog.getByText(/✅ Success/).waitFor();
    await b.shot("24-test-check");
    await dialog.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "detached" });
  });
});

describe("editing", () => {
  it("shows the API's field errors next to the fields, and saves once they are fixed", async () => {
    const { page } = b;
    await page.getByRole("link", { name: "Webhooks", exact: true }).click();
    await page.getByRole("link", { name: "Edit Failing endpoint" }).click();
    await page.getByRole("heading", { level: 1, name: "Edit Failing endpoint" }).waitFor();
    await page.getByRole("button", { name: "Add header" }).click();
    await page.getByLabel("Header 1 name").fill("Bad Header");
    await page.getByLabel("Header 1 value").fill("x");
    await page.getByLabel("Webhook URL").fill("ftp://files.example.com/hook");
    await b.expectingErrors(/status of 400/, async () => {
      await page.getByRole("button", { name: "Update Webhook" }).click();
      await page.locator(".field-error").first().waitFor();
    });
    expect(await page.locator(".header-row .field-error").textContent()).toMatch(/HTTP token/);
    expect(await page.locator(".field:has(input[name=url]) .field-error").textContent()).toBeTruthy();
    await b.shot("25-edit-field-errors");

    await page.getByLabel("Header 1 name").fill("X-Request-Source");
    await page.getByLabel("Webhook URL").fill(`${receiver.url}/hooks/ok`);
    await page.getByRole("button", { name: "Update Webhook" }).click();
    await page.getByText("The webhook was updated.").waitFor();
    expect(await page.locator(".field-error").count()).toBe(0);
  });
});

describe("the logs", () => {
  it("page through more than 50 attempts, older and back to newer", async () => {
    const { page } = b;
    const list = await call(`${service.url}/v1/webhooks`, "GET", org.api_key);
    const failing = list.data.find((w: { name: string }) => w.name === "Failing endpoint");
    await call(`${service.url}/v1/webhooks/${failing.id}/activate`, "POST", org.api_key);
    const before = receiver.received.length;
    for (let i = 0; i < 55; i++) await call(`${service.url}/v1/events`, "POST", "dev-ingest-token", { event: "verification.completed", organisation_id: org.id, data: { verification_id: `ver_${i}`, workflow_id: "wf_abc123", status: "success" } });
    await expect.poll(() => receiver.received.length - before, { timeout: 30_000 }).toBe(55);

    await page.evaluate(`location.hash = "#/webhooks/${failing.id}/logs"`);
    const rows = page.locator("table.logs tbody tr");
    await expect.poll(() => rows.count()).toBe(50);
    await page.getByRole("button", { name: "Older →" }).click();
    await page.getByText("Page 2").waitFor();
    // 55 deliveries and the one test event of the first test.
    expect(await rows.count()).toBe(6);
    expect(await page.getByRole("button", { name: "Older →" }).count()).toBe(0);
    expect(await rows.last().textContent()).toMatch(/workflow\.created.*test.*Failed.*500/);
    await page.getByRole("button", { name: "← Newer" }).click();
    await page.getByText("Page 1").waitFor();
    expect(await rows.count()).toBe(50);
  });
});

describe("the certificate", () => {
  const webhooks = async () => (await call(`${service.url}/v1/webhooks?limit=100`, "GET", org.api_key)).data as { id: string; name: string; certificate: unknown }[];

  it("is validated in the wizard without saving a webhook", async () => {
    const { page } = b;
    const before = (await webhooks()).length;
    await page.getByRole("link", { name: "Create Webhook" }).first().click();
    await page.getByLabel("Name", { exact: true }).fill("Only validated");
    await page.getByLabel("Webhook URL").fill(`${receiver.url}/hooks/ok`);
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("heading", { name: "Step 2: Authentication (mTLS)" }).waitFor();
    await page.getByLabel("CA certificate (PEM file)").setInputFiles(makeCaPem(service.state));
    await page.getByText("Chosen: ca.pem").waitFor();
    await page.getByRole("button", { name: "Validate Certificate" }).click();
    const result = page.locator(".validation");
    await result.waitFor();
    expect(await result.textContent()).toMatch(/✅ Format: PEM certificate.*❌ TLS handshake: .*http:\/\//);
    expect(await webhooks()).toHaveLength(before);
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    expect(await webhooks()).toHaveLength(before);
  });

  it("is removed on the edit screen, after a confirmation", async () => {
    const { page } = b;
    const target = (await webhooks()).find((w) => w.name === "Slow endpoint")!;
    await call(`${service.url}/v1/webhooks/${target.id}/certificate`, "PUT", org.api_key, { pem: readFileSync(makeCaPem(service.state), "utf8") });
    await page.evaluate(`location.hash = "#/webhooks/${target.id}/edit"`);
    await page.getByRole("heading", { level: 1, name: "Edit Slow endpoint" }).waitFor();
    expect(await page.locator(".stored").textContent()).toContain("Acme Webhook Root CA");
    await page.getByRole("button", { name: "Remove certificate" }).click();
    const dialog = page.getByRole("dialog", { name: "Remove the certificate of Slow endpoint?" });
    await b.shot("28-edit-remove-certificate");
    await dialog.getByRole("button", { name: "Remove certificate" }).click();
    await page.getByText("The certificate was removed.").waitFor();
    expect(await page.locator(".stored").textContent()).toContain("None uploaded.");
    expect(await page.getByRole("button", { name: "Remove certificate" }).count()).toBe(0);
    expect((await call(`${service.url}/v1/webhooks/${target.id}`, "GET", org.api_key)).certificate).toBeNull();
  });
});

/**
 * The dashboard in a real browser against the real worker (`wrangler dev`): sign in, create a
 * webhook through the six steps with a certificate (meeting a field error on the way), activate,
 * test against a local receiver, find the delivery in the logs, export and download the CSV,
 * read the statistics, pause, resume, edit and delete; on a laptop and at a phone's width, by
 * keyboard where it matters, with no console error. Screenshots go to test-results/screens/.
 */
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fitsPhone, keyboardWalk } from "./checks";
import { call, inPage, makeCaPem, openBrowser, startReceiver, startService, type Browsing, type Receiver, type Service } from "./harness";

let service: Service;
let receiver: Receiver;
let b: Browsing;
let org: { id: number; api_key: string };
let webhookId = "";

beforeAll(async () => {
  [service, receiver] = await Promise.all([startService(), startReceiver()]);
  org = await call(`${service.url}/v1/organisations`, "POST", "dev-admin-token", { name: "Acme", notification_email: "ops@acme.test" });
  b = await openBrowser();
});

afterAll(async () => {
  await b?.browser.close();
  receiver?.close();
  service?.stop();
});

// Every step: no console error, no uncaught page error (the ones provoked on purpose are allowed by name).
afterEach(() => {
  expect(b.problems).toEqual([]);
});

const row = () => b.page.locator(`tr[data-webhook="${webhookId}"]`);
const heading = (name: string | RegExp) => b.page.getByRole("heading", { level: 1, name }).waitFor();

describe("the dashboard", () => {
  it("signs in with the organisation's API key, kept for the tab only", async () => {
    const { page } = b;
    await page.goto(`${service.url}/dashboard`);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Sign in");
    await b.shot("01-sign-in");
    await page.getByLabel("API key").fill(org.api_key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Webhooks", level: 1 }).waitFor();
    expect(await inPage(page, "[sessionStorage.length, localStorage.length, document.cookie]")).toEqual([1, 0, ""]);
    await page.getByText("No webhooks yet").waitFor();
    await b.shot("02-list-empty");
  });

  it("creates a webhook in six steps with a certificate, showing the API's field error by its field", async () => {
    const { page } = b;
    await page.getByRole("link", { name: "Create Webhook" }).first().click();
    await heading("Create Webhook");
    await page.getByRole("heading", { name: "Step 1: Basic Information" }).waitFor();
    await expect.poll(() => page.getByLabel("Event Notification").isChecked()).toBe(true);
    await page.getByLabel("Name", { exact: true }).fill("Production Verification Webhook");
    await page.getByLabel("Description (optional)").fill("Receive notifications for all verification events");
    // Plain http to a public host: the API refuses it, naming the url field.
    await page.getByLabel("Webhook URL").fill("http://api.myapp.com/webhooks/nafsi");
    await b.shot("03-create-step1-basic");
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByRole("heading", { name: "Step 2: Authentication (mTLS)" }).waitFor();
    await page.getByLabel("CA certificate (PEM file)").setInputFiles(makeCaPem(service.state));
    await page.getByText("Chosen: ca.pem").waitFor();
    await b.expectingErrors(/status of 400/, async () => {
      await page.getByRole("button", { name: "Validate Certificate" }).click();
      await page.getByRole("heading", { name: "Step 1: Basic Information" }).waitFor();
    });
    const urlError = page.locator(".field:has(input[name=url]) .field-error");
    await expect.poll(() => urlError.textContent()).toMatch(/https/);
    expect(await page.getByLabel("Webhook URL").getAttribute("aria-invalid")).toBe("true");
    expect(await inPage(page, "document.activeElement?.getAttribute('name')")).toBe("url");
    await b.shot("04-create-field-error");

    await page.getByLabel("Webhook URL").fill(`${receiver.url}/hooks/ok`);
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("heading", { name: "Step 2: Authentication (mTLS)" }).waitFor();
    expect(await page.locator(".field-error").count()).toBe(0);
    await page.getByText("Chosen: ca.pem").waitFor();
    await page.getByRole("button", { name: "Validate Certificate" }).click();
    const result = page.locator(".validation");
    await result.waitFor();
    // A good certificate; the handshake cannot be tried on a plain-http local receiver.
    expect(await result.textContent()).toMatch(/✅ Format: PEM certificate.*✅ Expires in 36[45] days.*✅ No expiry warning.*❌ TLS handshake: .*http:\/\//);
    await page.getByLabel("Webhook secret (optional but recommended)").fill("sk_webhook_abc123xyz789");
    await b.shot("05-create-step2-mtls");
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByRole("heading", { name: "Step 3: Custom Headers" }).waitFor();
    await page.getByRole("button", { name: "Add header" }).click();
    await page.getByLabel("Header 1 name").fill("X-Custom-Header");
    await page.getByLabel("Header 1 value").fill("MyValue");
    await page.getByRole("button", { name: "Add header" }).click();
    await page.getByLabel("Header 2 name").fill("X-API-Version");
    await page.getByLabel("Header 2 value").fill("v1");
    await page.locator("#header-1-enabled").uncheck();
    await b.shot("06-create-step3-headers");
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByRole("heading", { name: "Step 4: Event Subscription" }).waitFor();
    for (const group of ["Verification Lifecycle Events", "Workflow Events", "Billing Events", "System Events"]) {
      await page.getByRole("group", { name: group }).waitFor();
    }
    expect(await page.getByLabel(/verification\.completed/).isChecked()).toBe(true);
    await page.getByLabel(/workflow\.created/).check();
    await page.getByText("7 selected").waitFor();
    await b.shot("07-create-step4-events");
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByRole("heading", { name: "Step 5: Verification Criteria" }).waitFor();
    await page.getByText("apply to Verification Check webhooks only").waitFor();
    await page.getByRole("button", { name: "Next" }).click();

    await page.getByRole("heading", { name: "Step 6: Review & Create" }).waitFor();
    const review = await page.locator("dl.review").textContent();
    expect(review).toContain("ca.pem");
    expect(review).toContain(`${receiver.url}/hooks/ok`);
    await b.shot("08-create-step6-review");
    await page.getByRole("button", { name: "Create Webhook" }).click();

    await heading("Webhooks");
    await page.getByText("was created with status Inactive").waitFor();
    const list = await call(`${service.url}/v1/webhooks`, "GET", org.api_key);
    expect(list.data).toHaveLength(1);
    const created = list.data[0];
    webhookId = created.id;
    expect(created).toMatchObject({
      name: "Production Verification Webhook",
      url: `${receiver.url}/hooks/ok`,
      method: "POST",
      status: "inactive",
      secret_hint: "z789",
      headers: [{ name: "X-Custom-Header", value: "MyValue", enabled: true }, { name: "X-API-Version", value: "v1", enabled: false }],
      certificate: { subject: expect.stringContaining("Acme Webhook Root CA") },
    });
    expect(created.events.sort()).toEqual(["units.depleted", "units.low_balance", "verification.completed", "verification.failed", "verification.started", "verification.timeout", "workflow.created"]);
    expect(await row().textContent()).toMatch(/Production Verification Webhook.*Event Notification.*127\.0\.0\.1.*7.*Inactive.*—.*Never/);
    await b.shot("09-list-created");
  });

  it("activates it, and a test event reaches the receiver with the headers set in the wizard", async () => {
    const { page } = b;
    await row().getByRole("button", { name: "Activate" }).click();
    await page.getByText("Production Verification Webhook is active.").waitFor();
    await row().getByText("Active", { exact: true }).waitFor();

    await row().getByRole("button", { name: /^Test/ }).click();
    const dialog = page.getByRole("dialog", { name: "Test Production Verification Webhook" });
    await dialog.waitFor();
    expect(await dialog.getByLabel("Event type").inputValue()).toBe("verification.completed");
    await dialog.getByRole("button", { name: "Send Test Event" }).click();
    await dialog.getByText(/✅ Success \(\d+ms\) - Webhook endpoint responded correctly/).waitFor();
    await b.shot("10-test-dialog-success");

    const sent = receiver.received.filter((r) => r.path === "/hooks/ok");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers["x-nafsi-event"]).toBe("verification.completed");
    expect(sent[0]!.headers["x-custom-header"]).toBe("MyValue");
    expect(sent[0]!.headers["x-api-version"]).toBeUndefined();
    expect(JSON.parse(sent[0]!.body)).toMatchObject({ event: "verification.completed", test: true });
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
  });

  it("shows the deliveries in the logs, filters them, and exports them as a CSV download", async () => {
    const { page } = b;
    // Real events as well as the test one, through the queue: one delivered, one failing three
    // times (the receiver answers 500 to workflow.created; retries after 2 s and 4 s).
    const accepted = await call(`${service.url}/v1/events`, "POST", "dev-ingest-token", { event: "units.low_balance", organisation_id: org.id, data: { current_balance: 850, threshold: 1000 } });
    await call(`${service.url}/v1/events`, "POST", "dev-ingest-token", { event: "workflow.created", organisation_id: org.id, data: { workflow_id: "wf_abc123" } });
    await expect.poll(() => receiver.received.length, { timeout: 20_000 }).toBe(5);

    await row().getByRole("link", { name: /View logs/ }).click();
    await heading("Delivery logs: Production Verification Webhook");
    const rows = page.locator("table.logs tbody tr");
    await expect.poll(() => rows.count()).toBe(5);
    const texts = await rows.allTextContents();
    expect(texts[0]).toMatch(/workflow\.created.*Failed.*attempt 3.*500.*HTTP 500/);
    expect(texts.filter((t) => /workflow\.created.*Retrying.*500/.test(t))).toHaveLength(2);
    expect(texts.find((t) => t.includes("units.low_balance"))).toMatch(/Success.*200.*ms/);
    expect(texts[4]).toMatch(/verification\.completed.*test.*Success.*200/);
    await b.shot("11-logs");

    const today = new Date().toISOString().slice(0, 10);
    await page.getByLabel("From date").fill(today);
    await page.getByLabel("To date").fill(today);
    await page.getByLabel("Status").selectOption("success");
    await page.getByLabel("Event type").selectOption("units.low_balance");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.nth(0).textContent()).toContain("units.low_balance");
    await page.getByLabel("Status").selectOption("failed");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.getByText("No deliveries match these filters.").waitFor();
    await page.getByLabel("Status").selectOption("success");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect.poll(() => rows.count()).toBe(1);

    // The export takes the filters on screen.
    await page.getByRole("button", { name: "Export CSV" }).click();
    await page.locator(".export-progress progress").or(page.getByRole("link", { name: /Download CSV/ })).first().waitFor();
    const link = page.getByRole("link", { name: "Download CSV (1 rows)" });
    await link.waitFor({ timeout: 20_000 });
    await b.shot("12-logs-export-ready");
    const [file] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(file.suggestedFilename()).toMatch(/\.csv$/);
    const csv = readFileSync((await file.path())!, "utf8");
    const lines = csv.trim().split(/\r?\n/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(accepted.event_id);
    expect(lines[1]).toContain("units.low_balance");
  });

  it("shows the seven figures and a chart of deliveries and response times", async () => {
    const { page } = b;
    await page.getByRole("link", { name: "Statistics" }).click();
    await heading("Statistics: Production Verification Webhook");
    const figure = async (label: string) => (await page.locator(".figure", { has: page.getByText(label, { exact: true }) }).locator("dd").first().textContent())?.trim();
    // Every attempt counts, but the test event, as the product's statistics say.
    expect(await figure("Total Deliveries")).toBe("4");
    expect(await figure("Successful Deliveries")).toBe("1");
    expect(await figure("Failed Deliveries")).toBe("3");
    expect(await figure("Average Response Time")).toMatch(/^\d+ ms$/);
    expect(await figure("Success Rate")).toBe("25%");
    expect(await figure("Last Success")).not.toBe("Never");
    expect(await figure("Last Failure")).not.toBe("Never");
    await page.locator(".chart canvas").waitFor();
    // The chart's figures, read from its table: they add up to the figures above.
    await page.getByText(/The chart's figures as a table/).click();
    const cells = async (column: number) => (await page.locator(`details table tbody td:nth-child(${column})`).allTextContents()).map(Number);
    const sum = (list: number[]) => list.reduce((a, n) => a + n, 0);
    expect([sum(await cells(2)), sum(await cells(3))]).toEqual([1, 3]);
    await b.shot("13-stats");
    await page.getByLabel("Period").selectOption("day");
    await expect.poll(async () => sum(await cells(3))).toBe(3);
    expect(await page.locator(".chart canvas").count()).toBe(1);
  });

  it("pauses and resumes from the list, and edits with the type fixed", async () => {
    const { page } = b;
    await page.getByRole("link", { name: "Webhooks", exact: true }).click();
    await heading("Webhooks");
    expect(await row().textContent()).toMatch(/25%/);
    await row().getByRole("button", { name: "Pause" }).click();
    await row().getByText("Paused", { exact: true }).waitFor();
    await b.shot("14-list-paused");
    await row().getByRole("button", { name: "Resume" }).click();
    const dialog = page.getByRole("dialog", { name: /Resume/ });
    expect(await dialog.getByLabel("Also deliver the events skipped while it was paused").isChecked()).toBe(true);
    await dialog.getByRole("button", { name: "Resume" }).click();
    await page.getByText("is active again").waitFor();
    await row().getByText("Active", { exact: true }).waitFor();

    await row().getByRole("link", { name: /^Edit/ }).click();
    await heading("Edit Production Verification Webhook");
    await page.getByText("Event Notification (cannot be changed)").waitFor();
    expect(await page.getByRole("radio").count()).toBe(0);
    expect(await page.locator(".stored").textContent()).toContain("Acme Webhook Root CA");
    await page.getByLabel("Name", { exact: true }).fill("Production Webhook");
    await page.getByLabel(/workflow\.created/).uncheck();
    await b.shot("15-edit");
    await page.getByRole("button", { name: "Update Webhook" }).click();
    await heading("Edit Production Webhook");
    await page.getByText("The webhook was updated.").waitFor();
    const stored = await call(`${service.url}/v1/webhooks/${webhookId}`, "GET", org.api_key);
    expect(stored).toMatchObject({ name: "Production Webhook", type: "event_notification", events_count: 6, status: "active" });
  });

  it("is usable by keyboard: row actions reachable, the delete question safe by default", () => keyboardWalk(b, row(), "Production Webhook"));

  it("fits a phone's width", () =>
    fitsPhone(b, [
      ["#/", "16-phone-list", "Webhooks"],
      [`#/webhooks/${webhookId}/logs`, "17-phone-logs", "Delivery logs: Production Webhook"],
      [`#/webhooks/${webhookId}/stats`, "18-phone-stats", "Statistics: Production Webhook"],
      ["#/new", "19-phone-create", "Create Webhook"],
    ]));

  it("deletes after a confirmation that says it cannot be undone, and signs out", async () => {
    const { page } = b;
    await row().getByRole("button", { name: /^Delete/ }).click();
    const dialog = page.getByRole("dialog", { name: "Delete Production Webhook?" });
    await dialog.getByText("This action cannot be undone!").waitFor();
    await b.shot("20-delete-confirm");
    await dialog.getByRole("button", { name: "Delete webhook" }).click();
    await page.getByText("Production Webhook was deleted.").waitFor();
    await page.getByText("No webhooks yet").waitFor();
    const res = await fetch(`${service.url}/v1/webhooks/${webhookId}`, { headers: { Authorization: `Bearer ${org.api_key}` } });
    expect(res.status).toBe(404);

    await page.getByRole("button", { name: "Sign out" }).click();
    await heading("Sign in");
    expect(await inPage(page, "sessionStorage.length")).toBe(0);
  });
});

/**
 * The dashboard works in a browser whose language tag Intl rejects (a Chromium under
 * LANG=C.UTF-8 reports "en-US@posix"): sign-in, dates, the chart; and when a screen cannot
 * start, the page says so instead of staying blank.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { call, inPage, openBrowser, startReceiver, startService, type Browsing, type Receiver, type Service } from "./harness";

let service: Service;
let receiver: Receiver;
let org: { id: number; api_key: string };
const opened: Browsing[] = [];

beforeAll(async () => {
  [service, receiver] = await Promise.all([startService(), startReceiver()]);
  org = await call(`${service.url}/v1/organisations`, "POST", "dev-admin-token", { name: "Posix Ltd", notification_email: "ops@posix.test" });
  // A delivery, so that the list shows a date (Last Triggered) to format.
  const webhook = await call(`${service.url}/v1/webhooks`, "POST", org.api_key, { type: "event_notification", name: "Dated", url: `${receiver.url}/hooks/ok`, events: ["verification.completed"] });
  await call(`${service.url}/v1/webhooks/${webhook.id}/activate`, "POST", org.api_key);
  await call(`${service.url}/v1/events`, "POST", "dev-ingest-token", { event: "verification.completed", organisation_id: org.id, data: { verification_id: "ver_1", workflow_id: "wf_1", status: "success" } });
  for (const until = Date.now() + 20_000; receiver.received.length === 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 100));
  // The list's Last Triggered comes from the summary the webhook's head writes to D1 shortly after (SUMMARY_REFRESH_MS).
  for (const until = Date.now() + 20_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
    const listed = await call(`${service.url}/v1/webhooks/${webhook.id}`, "GET", org.api_key);
    if (listed.last_triggered_at) break;
  }
});

afterAll(async () => {
  for (const b of opened) await b.browser.close();
  receiver?.close();
  service?.stop();
});

afterEach(() => {
  for (const b of opened) expect(b.problems).toEqual([]);
});

async function open(options: Parameters<typeof openBrowser>[0]): Promise<Browsing> {
  const b = await openBrowser(options);
  opened.push(b);
  return b;
}

describe("a language tag Intl rejects", () => {
  it("still shows the sign-in screen, and the list with its dates", async () => {
    const b = await open({ locale: "en-US@posix" });
    const { page } = b;
    // The premise, on a page of ours without the dashboard's script: the browser reports a tag Intl refuses.
    await page.goto(`${service.url}/`);
    expect(await inPage(page, "navigator.language")).toBe("en-US@posix");
    expect(await inPage(page, "(() => { try { new Intl.NumberFormat(navigator.language); return 'accepted' } catch (e) { return e.name } })()")).toBe("RangeError");

    await page.goto(`${service.url}/dashboard`);
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    await b.shot("26-sign-in-posix-locale");
    await page.getByLabel("API key").fill(org.api_key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    const row = page.locator("tr", { hasText: "Dated" });
    expect(await row.textContent()).toMatch(/\b20\d\d\b.*\d:\d\d:\d\d/);
    // The chart's library formats numbers with the browser's language as it loads.
    await row.getByRole("link", { name: /Statistics/ }).click();
    await page.locator(".chart canvas").waitFor();
  });
});

describe("a screen that cannot start", () => {
  it("says so on the page: here, a browser that refuses the page its storage", async () => {
    // What a browser that blocks site data does: sessionStorage throws a SecurityError.
    const b = await open({});
    await b.context.addInitScript(`Object.defineProperty(window, "sessionStorage", { get() { throw new DOMException("Access is denied for this document.", "SecurityError"); } });`);
    const { page } = b;
    await page.goto(`${service.url}/dashboard`);
    await page.getByRole("heading", { level: 1, name: "The dashboard could not start" }).waitFor();
    expect(await page.getByRole("alert").textContent()).toBe("SecurityError: Access is denied for this document.");
    await b.shot("27-could-not-start");
  });
});

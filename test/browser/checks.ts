/** Checks of the dashboard that hold on any screen: reachable by keyboard, and fitting a phone. */
import type { Locator } from "playwright-core";
import { expect } from "vitest";
import { inPage, type Browsing } from "./harness";

const PHONE = { width: 390, height: 844 };

/**
 * From the top of the list, Tab reaches every action of the row; Enter on Delete asks with the
 * focus on Cancel; Escape closes the question, changes nothing, and gives the focus back.
 */
export async function keyboardWalk(b: Browsing, row: Locator, name: string): Promise<void> {
  const { page } = b;
  await page.getByRole("link", { name: "Webhooks", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
  const reached = new Set<string>();
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press("Tab");
    reached.add((await inPage<string | undefined>(page, "document.activeElement?.textContent?.trim()")) ?? "");
  }
  for (const action of ["Create Webhook", "Edit", "Test", "Pause", "Delete", "View Logs", "Statistics"]) expect(reached, action).toContain(action);

  await row.getByRole("button", { name: /^Delete/ }).focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: `Delete ${name}?` });
  await dialog.waitFor();
  expect(await inPage(page, "document.activeElement?.textContent")).toBe("Cancel");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  await expect.poll(() => inPage(page, "document.activeElement?.getAttribute('aria-label')")).toBe(`Delete ${name}`);
  expect(await row.count()).toBe(1);
}

/** Each screen at a phone's width: nothing wider than the screen, and a screenshot. */
export async function fitsPhone(b: Browsing, screens: [hash: string, shot: string, title: string][]): Promise<void> {
  const { page } = b;
  const laptop = page.viewportSize()!;
  await page.setViewportSize(PHONE);
  const overflow = () => inPage<number>(page, "document.documentElement.scrollWidth - document.documentElement.clientWidth");
  for (const [hash, shot, title] of screens) {
    await inPage(page, `location.hash = ${JSON.stringify(hash)}`);
    await page.getByRole("heading", { level: 1, name: title }).waitFor();
    if (hash.endsWith("/stats")) await page.locator(".chart canvas").waitFor();
    expect(await overflow(), shot).toBeLessThanOrEqual(0);
    await b.shot(shot);
  }
  await inPage(page, "location.hash = '#/'");
  await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
  await page.setViewportSize(laptop);
}

/** How values read on screen, in the product document's words. */
import { browserLanguages, usableLocale } from "./language";
import type { WebhookStatus, WebhookType } from "./types";

export const TYPE_LABEL: Record<WebhookType, string> = {
  event_notification: "Event Notification",
  verification_check: "Verification Check",
};

export const STATUS_LABEL: Record<WebhookStatus, string> = { active: "Active", inactive: "Inactive", paused: "Paused" };

/**
 * Made on first use, never at module load: a throw there took the whole page down. The browser's
 * languages first, then "en-US"; if Intl refuses even that, ISO dates in UTC still read.
 */
let dateTime: ((d: Date) => string) | null = null;
function formatDateTime(d: Date): string {
  if (!dateTime) {
    for (const locale of [usableLocale(browserLanguages()), "en-US"]) {
      try {
        const format = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "medium" });
        format.format(d);
        dateTime = (date) => format.format(date);
        break;
      } catch {
        // the next one
      }
    }
    dateTime ??= (date) => `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
  }
  return dateTime(d);
}

export const when = (iso: string | null, never = "Never") => (iso ? formatDateTime(new Date(iso)) : never);

export const percent = (rate: number | null) => (rate === null ? "—" : `${rate.toFixed(rate % 1 === 0 ? 0 : 1)}%`);

export const ms = (value: number | null) => (value === null ? "—" : value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`);

/** The URL as a person scans it: no scheme, and the middle of a long one cut out. */
export function shortUrl(url: string, max = 40): string {
  const bare = url.replace(/^https?:\/\//, "");
  return bare.length <= max ? bare : `${bare.slice(0, max - 16)}…${bare.slice(-15)}`;
}

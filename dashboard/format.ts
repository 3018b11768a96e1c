/** How values read on screen, in the product document's words. */
import type { WebhookStatus, WebhookType } from "./types";

export const TYPE_LABEL: Record<WebhookType, string> = {
  event_notification: "Event Notification",
  verification_check: "Verification Check",
};

export const STATUS_LABEL: Record<WebhookStatus, string> = { active: "Active", inactive: "Inactive", paused: "Paused" };

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export const when = (iso: string | null, never = "Never") => (iso ? dateTime.format(new Date(iso)) : never);

export const percent = (rate: number | null) => (rate === null ? "—" : `${rate.toFixed(rate % 1 === 0 ? 0 : 1)}%`);

export const ms = (value: number | null) => (value === null ? "—" : value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`);

/** The URL as a person scans it: no scheme, and the middle of a long one cut out. */
export function shortUrl(url: string, max = 40): string {
  const bare = url.replace(/^https?:\/\//, "");
  return bare.length <= max ? bare : `${bare.slice(0, max - 16)}…${bare.slice(-15)}`;
}

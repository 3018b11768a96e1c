/**
 * The retry schedule (event notification webhooks): the waits in seconds before each retry,
 * typed as a list ("2, 4"), with what it means in words beside it. The API checks the rules
 * (at most 10 delays of 1 to 43,200 s) and names the delay at fault; a part that is not a
 * number is sent as typed, so that the API can name it.
 */
import { field, h } from "../dom";
import type { FormState } from "./state";

/** The product document's schedule: three attempts, at once, then after 2 s and 4 s. */
export const DEFAULT_SCHEDULE_TEXT = "2, 4";
/** From this many seconds the service varies a wait by ±10% (src/delivery/retry-policy.ts). */
const JITTER_FROM_S = 60;

export const scheduleText = (schedule: number[] | null | undefined) => (schedule ?? []).join(", ");

export function parseSchedule(text: string): unknown[] {
  return text.split(/[\s,]+/).filter((part) => part !== "").map((part) => (/^-?\d+(\.\d+)?$/.test(part) ? Number(part) : part));
}

function wait(seconds: number): string {
  const exact = seconds >= JITTER_FROM_S ? " (±10%)" : "";
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h${exact}`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min${exact}`;
  return `${seconds} s${exact}`;
}

/** "3 attempts: at once, then 2 s later, then 4 s later." */
export function describeSchedule(text: string): string {
  const delays = parseSchedule(text);
  if (delays.some((d) => typeof d !== "number" || !Number.isInteger(d) || d < 1)) return "Whole numbers of seconds, separated by commas.";
  const waits = (delays as number[]).map((d) => `then ${wait(d)} later`);
  const attempts = delays.length + 1;
  return attempts === 1 ? "1 attempt: no retries." : `${attempts} attempts: at once, ${waits.join(", ")}.`;
}

export function retryScheduleSection(s: FormState): HTMLElement | null {
  if (s.type !== "event_notification") return null;
  const summary = h("p", { class: "muted", "aria-live": "polite" }, describeSchedule(s.retrySchedule));
  const input = h("input", {
    type: "text",
    name: "retry_schedule",
    "data-path": "retry_schedule",
    value: s.retrySchedule,
    autocomplete: "off",
    on: {
      input: (e) => {
        s.retrySchedule = (e.target as HTMLInputElement).value;
        summary.textContent = describeSchedule(s.retrySchedule);
      },
    },
  });
  return h(
    "div",
    { class: "section" },
    field(
      "Retry schedule (seconds)",
      input,
      "Seconds to wait before each retry of a failed delivery, e.g. 2, 4 (the default). At most 10, each from 1 to 43200 (12 hours); waits of a minute or more vary by ±10%. Leave empty for no retries.",
    ),
    summary,
  );
}

/** What every screen gets, and the one-time notice shown on the next screen (e.g. "Webhook created"). */
import { h, type Child } from "./dom";

export interface Screen {
  main: HTMLElement;
  /** Aborted when the person leaves the screen: stops polling and late renders. */
  signal: AbortSignal;
}

export function title(text: string): HTMLHeadingElement {
  document.title = `${text} · Nafsi Webhooks`;
  return h("h1", { tabindex: "-1" }, text);
}

let pending: { content: Child; kind: "success" | "error" } | null = null;

export function setFlash(content: Child, kind: "success" | "error" = "success") {
  pending = { content, kind };
}

export function takeFlash() {
  const flash = pending;
  pending = null;
  return flash;
}

export function showFlash(main: HTMLElement, flash: NonNullable<ReturnType<typeof takeFlash>>) {
  const heading = main.querySelector("h1");
  const note = h("div", { class: `notice ${flash.kind}`, role: flash.kind === "error" ? "alert" : "status" }, flash.content);
  if (heading) (heading.closest(".title-row") ?? heading).after(note);
  else main.prepend(note);
}

/** A notice inside a screen, replacing the previous one in the same place. */
export function notice(kind: "success" | "error" | "info", ...content: Child[]): HTMLElement {
  return h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, content);
}

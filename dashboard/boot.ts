/**
 * A dashboard that cannot start says so on the page. A throw while the modules load or during
 * the first screen (once: an Intl call under a language tag Intl rejected) would otherwise leave
 * the page blank, with the reason only in the console. main.ts imports this first, so that it
 * listens before any other module runs; once a screen is up, errors are the screens' to show.
 */
import { h, replace } from "./dom";

let started = false;

/** The first screen is up: from now on a stray error is not a failure to start. */
export const markStarted = () => void (started = true);

export function startFailed(err: unknown): void {
  const main = document.getElementById("main");
  if (!main) return;
  document.title = "The dashboard could not start · Nafsi Webhooks";
  replace(
    main,
    h("h1", { tabindex: "-1" }, "The dashboard could not start"),
    h("p", { role: "alert", class: "notice error" }, err instanceof Error ? `${err.name}: ${err.message}` : String(err)),
    h("p", null, "Reload the page to try again. The API works without the dashboard: see ", h("a", { href: "/docs" }, "/docs"), "."),
  );
}

const failedToStart = (err: unknown) => {
  if (!started) startFailed(err);
};
window.addEventListener("error", (e) => failedToStart(e.error ?? e.message));
window.addEventListener("unhandledrejection", (e) => failedToStart(e.reason));

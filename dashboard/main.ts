/**
 * The dashboard: a hash router over the screens of the product document. Signed out, every
 * route shows the sign-in screen; signed in, each screen loads what it shows from the API.
 */
// First: it listens for a failure to start before any other module runs.
import { markStarted, startFailed } from "./boot";
import { ApiFailure, whenSignedOut } from "./api";
import { forgetCatalogue } from "./catalogue";
import { h, replace } from "./dom";
import { takeFlash, showFlash, type Screen } from "./screen";
import { createScreen } from "./screens/create";
import { editScreen } from "./screens/edit";
import { listScreen } from "./screens/list";
import { logsScreen } from "./screens/logs";
import { signInScreen } from "./screens/sign-in";
import { statsScreen } from "./screens/stats";
import { clearKey, getKey } from "./session";

type Route = [RegExp, (screen: Screen, id: string) => Promise<void>];

const ROUTES: Route[] = [
  [/^#?\/?$/, (s) => listScreen(s)],
  [/^#\/new$/, (s) => createScreen(s)],
  [/^#\/webhooks\/(wh_\w+)\/edit$/, editScreen],
  [/^#\/webhooks\/(wh_\w+)\/logs$/, logsScreen],
  [/^#\/webhooks\/(wh_\w+)\/stats$/, statsScreen],
];

const main = document.getElementById("main")!;
const nav = document.getElementById("nav")!;
let current = new AbortController();

function renderNav(signedIn: boolean) {
  replace(
    nav,
    signedIn && [
      h("a", { href: "#/" }, "Webhooks"),
      h("a", { href: "#/new" }, "Create Webhook"),
      h("button", { type: "button", class: "link", on: { click: signOut } }, "Sign out"),
    ],
  );
}

function signOut() {
  clearKey();
  forgetCatalogue();
  if (location.hash && location.hash !== "#/") location.hash = "#/";
  else void render();
}

async function render(message?: string) {
  current.abort();
  current = new AbortController();
  const screen: Screen = { main, signal: current.signal };
  replace(main);
  try {
    await show(screen, message);
  } catch (err) {
    // Not an API failure (show() puts those on the page): the screen itself could not start.
    if (!screen.signal.aborted) startFailed(err);
  }
  markStarted();
}

async function show(screen: Screen, message?: string) {
  renderNav(Boolean(getKey()));
  if (!getKey()) return signInScreen(screen, message, () => void render());

  const [pattern, start] = ROUTES.find(([re]) => re.test(location.hash)) ?? [];
  const id = pattern?.exec(location.hash)?.[1] ?? "";
  const flash = takeFlash();
  try {
    if (!start) {
      replace(main, h("h1", { tabindex: "-1" }, "Page not found"), h("p", null, h("a", { href: "#/" }, "Back to webhooks")));
    } else {
      await start(screen, id);
    }
  } catch (err) {
    if (screen.signal.aborted || (err instanceof ApiFailure && err.status === 401)) return;
    const gone = err instanceof ApiFailure && err.status === 404;
    replace(
      main,
      h("h1", { tabindex: "-1" }, gone ? "Webhook not found" : "Something went wrong"),
      h("p", { role: "alert" }, gone ? "It may have been deleted." : err instanceof Error ? err.message : String(err)),
      h("p", null, h("a", { href: "#/" }, "Back to webhooks")),
    );
  }
  if (screen.signal.aborted) return;
  if (flash) showFlash(main, flash);
  main.querySelector<HTMLElement>("h1")?.focus();
}

// A skip link with a hash would be taken for a route.
document.querySelector(".skip")?.addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});
whenSignedOut((message) => void render(message));
window.addEventListener("hashchange", () => void render());
void render();

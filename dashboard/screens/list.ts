/**
 * "Managing Webhooks": the list with the document's columns and actions (Edit, Test, Activate,
 * Pause or Resume, Delete, View Logs), plus the statistics of each.
 */
import { activate, pause, remove, resume } from "../actions";
import { api, ApiFailure } from "../api";
import { openTestDialog } from "../dialogs/test-event";
import { busyButton, h, replace } from "../dom";
import { percent, shortUrl, STATUS_LABEL, TYPE_LABEL, when } from "../format";
import { notice, title, type Screen } from "../screen";
import type { Page, Webhook } from "../types";

const PAGE = 20;

export async function listScreen(screen: Screen): Promise<void> {
  const { main, signal } = screen;
  const messages = h("div", { class: "messages" });
  const body = h("tbody");
  const more = h("div", { class: "more" });
  let cursor: string | null = null;

  const say = (kind: "success" | "error", text: string) => replace(messages, notice(kind, text));

  /** Runs a row action, then shows the list again with what changed. */
  const act = (action: () => Promise<string | null>) => async () => {
    try {
      const done = await action();
      if (done === null) return;
      await reload();
      say("success", done);
    } catch (err) {
      say("error", err instanceof ApiFailure ? err.message : String(err));
    }
  };

  function row(w: Webhook): HTMLTableRowElement {
    const statusAction =
      w.status === "inactive"
        ? busyButton("Activate", act(async () => (await activate(w), `${w.name} is active.`)))
        : w.status === "active"
          ? busyButton("Pause", act(async () => (await pause(w), `${w.name} is paused: events are not delivered while paused.`)))
          : busyButton("Resume", act(async () => {
              const r = await resume(w);
              return r && `${w.name} is active again${r.replayed ? `; ${r.replayed} skipped deliveries are being sent` : ""}.`;
            }));
    const cell = (label: string, ...content: (Node | string)[]) => h("td", { "data-label": label }, content);
    return h(
      "tr",
      { "data-webhook": w.id },
      h("th", { scope: "row", "data-label": "Name" }, h("a", { href: `#/webhooks/${w.id}/edit` }, w.name), w.description ? h("span", { class: "muted small" }, w.description) : ""),
      cell("Type", TYPE_LABEL[w.type]),
      cell("URL", h("span", { class: "url", title: w.url }, shortUrl(w.url))),
      cell("Events", w.type === "event_notification" ? String(w.events_count) : "—"),
      cell("Status", h("span", { class: `badge ${w.status}`, title: w.paused_reason ?? "" }, STATUS_LABEL[w.status]), w.paused_reason && w.status === "paused" ? h("span", { class: "muted small" }, w.paused_reason) : ""),
      cell("Success Rate", percent(w.success_rate)),
      cell("Last Triggered", when(w.last_triggered_at)),
      h(
        "td",
        { class: "row-actions", "data-label": "Actions" },
        h("a", { class: "button", href: `#/webhooks/${w.id}/edit`, "aria-label": `Edit ${w.name}` }, "Edit"),
        busyButton("Test", () => openTestDialog(w), { "aria-label": `Test ${w.name}` }),
        statusAction,
        busyButton("Delete", act(async () => ((await remove(w)) ? `${w.name} was deleted.` : null)), { class: "danger", "aria-label": `Delete ${w.name}` }),
        h("a", { class: "button", href: `#/webhooks/${w.id}/logs`, "aria-label": `View logs of ${w.name}` }, "View Logs"),
        h("a", { class: "button", href: `#/webhooks/${w.id}/stats`, "aria-label": `Statistics of ${w.name}` }, "Statistics"),
      ),
    );
  }

  async function load(after: string | null): Promise<Page<Webhook>> {
    return api<Page<Webhook>>("GET", `/v1/webhooks?limit=${PAGE}${after ? `&cursor=${after}` : ""}`);
  }

  function showMore(next: string | null) {
    cursor = next;
    replace(more, next && busyButton("Show more webhooks", async () => {
      const page = await load(cursor);
      body.append(...page.data.map(row));
      showMore(page.next_cursor);
    }));
  }

  async function reload() {
    const page = await load(null);
    if (signal.aborted) return;
    replace(body, page.data.map(row));
    if (page.data.length === 0) {
      replace(body, h("tr", null, h("td", { colspan: "8", class: "empty" }, "No webhooks yet. ", h("a", { href: "#/new" }, "Create your first webhook"), ".")));
    }
    showMore(page.next_cursor);
  }

  await reload();
  if (signal.aborted) return;
  replace(
    main,
    h("div", { class: "title-row" }, title("Webhooks"), h("a", { class: "button primary", href: "#/new" }, "Create Webhook")),
    messages,
    h(
      "table",
      { class: "responsive webhooks" },
      h("caption", { class: "visually-hidden" }, "Your webhooks"),
      h("thead", null, h("tr", null, ["Name", "Type", "URL", "Events", "Status", "Success Rate", "Last Triggered", "Actions"].map((c) => h("th", { scope: "col" }, c)))),
      body,
    ),
    more,
  );
}

/**
 * "Viewing Delivery Logs": every attempt with the document's columns, filters by date range,
 * status and event type, pages of 50 (newest first), and the CSV export of what is filtered.
 */
import { api, ApiFailure } from "../api";
import { eventTypes } from "../catalogue";
import { busyButton, field, h, replace } from "../dom";
import { openDeliveryDialog } from "../dialogs/delivery";
import { openRecoverDialog } from "../dialogs/recover";
import { exportCsv } from "../export-csv";
import { showFieldErrors } from "../form/errors";
import { ms, when } from "../format";
import { notice, title, type Screen } from "../screen";
import type { LogRow, Page, Webhook } from "../types";

const PAGE = 50;
const STATUS = { success: "Success", failed: "Failed", retrying: "Retrying", skipped: "Skipped" } as const;

export async function logsScreen({ main, signal }: Screen, id: string): Promise<void> {
  const [w, types] = await Promise.all([api<Webhook>("GET", `/v1/webhooks/${id}`), eventTypes()]);
  if (signal.aborted) return;

  const from = h("input", { type: "date", name: "from", "data-path": "from" });
  const to = h("input", { type: "date", name: "to", "data-path": "to" });
  const status = h("select", { name: "status", "data-path": "status" }, h("option", { value: "" }, "Any status"), Object.entries(STATUS).map(([v, l]) => h("option", { value: v }, l)));
  const event = h("select", { name: "event", "data-path": "event" }, h("option", { value: "" }, "Any event"), types.map((t) => h("option", { value: t.name }, t.name)));
  const filters = () => Object.fromEntries(Object.entries({ from: from.value, to: to.value, status: status.value, event: event.value }).filter(([, v]) => v !== ""));

  const messages = h("div", { class: "messages" });
  const body = h("tbody");
  const pager = h("nav", { class: "pager", "aria-label": "Log pages" });
  const exportPanel = h("div", { class: "export-panel", role: "status", "aria-live": "polite" });
  // The cursors of the pages before this one, for "Newer".
  let cursors: (string | null)[] = [null];

  function row(r: LogRow): HTMLTableRowElement {
    const cell = (label: string, ...content: (Node | string)[]) => h("td", { "data-label": label }, content);
    return h(
      "tr",
      null,
      // The time opens the delivery's detail (payload, attempts, Resend).
      cell("Timestamp", h("button", { type: "button", class: "link", "aria-label": `Show the delivery of ${when(r.timestamp)}`, on: { click: () => void openDeliveryDialog(w, r.delivery_id) } }, h("time", { datetime: r.timestamp }, when(r.timestamp)))),
      cell("Event", h("code", null, r.event), r.test ? h("span", { class: "badge test" }, "test") : ""),
      cell("Status", h("span", { class: `badge ${r.status}` }, STATUS[r.status]), r.attempt > 1 ? h("span", { class: "muted small" }, `attempt ${r.attempt}`) : ""),
      cell("Response Code", r.response_code === null ? "—" : String(r.response_code)),
      cell("Response Time", ms(r.response_time_ms)),
      cell("Error", r.error ? h("span", { class: "error-text" }, r.error) : "—"),
    );
  }

  async function show(page: number) {
    const query = new URLSearchParams({ ...filters(), limit: String(PAGE) });
    const cursor = cursors[page];
    if (cursor) query.set("cursor", cursor);
    let result: Page<LogRow>;
    try {
      result = await api<Page<LogRow>>("GET", `/v1/webhooks/${id}/logs?${query}`);
    } catch (err) {
      replace(messages, notice("error", err instanceof ApiFailure ? err.message : String(err)));
      if (err instanceof ApiFailure) showFieldErrors(filterForm, err.details);
      return;
    }
    if (signal.aborted) return;
    replace(messages);
    showFieldErrors(filterForm, []);
    cursors = [...cursors.slice(0, page + 1), result.next_cursor];
    replace(body, result.data.length ? result.data.map(row) : h("tr", null, h("td", { colspan: "6", class: "empty" }, "No deliveries match these filters.")));
    replace(
      pager,
      page > 0 && busyButton("← Newer", () => show(page - 1)),
      h("span", { class: "muted" }, `Page ${page + 1}`),
      result.next_cursor && busyButton("Older →", () => show(page + 1)),
    );
  }

  const filterForm = h(
    "form",
    { class: "card filters", on: { submit: (e) => (e.preventDefault(), (cursors = [null]), void show(0)) } },
    field("From date", from),
    field("To date", to),
    field("Status", status),
    field("Event type", event),
    h("div", { class: "actions left" }, h("button", { type: "submit", class: "primary" }, "Apply filters"), busyButton("Export CSV", () => exportCsv(id, filters(), exportPanel, signal)), busyButton("Recover…", () => openRecoverDialog(w))),
  );

  await show(0);
  if (signal.aborted) return;
  replace(
    main,
    title(`Delivery logs: ${w.name}`),
    h("p", null, h("a", { href: "#/" }, "← All webhooks"), " · ", h("a", { href: `#/webhooks/${id}/stats` }, "Statistics")),
    filterForm,
    exportPanel,
    messages,
    h(
      "table",
      { class: "responsive logs" },
      h("caption", { class: "visually-hidden" }, `Delivery attempts of ${w.name}, newest first`),
      h("thead", null, h("tr", null, ["Timestamp", "Event", "Status", "Response Code", "Response Time", "Error"].map((c) => h("th", { scope: "col" }, c)))),
      body,
    ),
    pager,
  );
}

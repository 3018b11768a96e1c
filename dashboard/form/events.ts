/** Step 4: Event Subscription, grouped as in the product document (Event Notification webhooks only). */
import { byGroup, eventTypes, GROUP_LABEL } from "../catalogue";
import { h } from "../dom";
import type { FormState } from "./state";

export async function eventsSection(s: FormState): Promise<HTMLElement> {
  if (s.type !== "event_notification") {
    return h("div", { class: "section" }, h("p", { class: "muted" }, "Event subscription applies to Event Notification webhooks only. A Verification Check webhook is called for each check instead."));
  }
  const types = await eventTypes();
  const count = h("p", { class: "muted", "aria-live": "polite" });
  const recount = () => (count.textContent = `${s.events.length} selected. Each event triggers a separate delivery.`);
  recount();
  return h(
    "div",
    { class: "section" },
    h("p", null, "Select which events you want to receive."),
    h(
      "fieldset",
      { class: "event-groups", "data-path": "events" },
      h("legend", { class: "visually-hidden" }, "Events"),
      byGroup(types).map(([group, list]) =>
        h(
          "fieldset",
          { class: "event-group" },
          h("legend", null, GROUP_LABEL[group]),
          list.map((t) =>
            h(
              "div",
              { class: "check" },
              h("input", {
                type: "checkbox",
                id: `event-${t.name}`,
                value: t.name,
                checked: s.events.includes(t.name),
                on: {
                  change: (e) => {
                    const on = (e.target as HTMLInputElement).checked;
                    s.events = on ? [...s.events, t.name] : s.events.filter((n) => n !== t.name);
                    recount();
                  },
                },
              }),
              h("label", { for: `event-${t.name}` }, h("code", null, t.name), ` — ${t.description}`),
            ),
          ),
        ),
      ),
    ),
    count,
  );
}

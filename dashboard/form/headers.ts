/** Step 3: Custom Headers (optional): name, value and an Enabled switch per header. */
import { h, replace } from "../dom";
import type { FormState } from "./state";

const MAX_HEADERS = 20;

export function headersSection(s: FormState): HTMLElement {
  const rows = h("div", { class: "header-rows", "data-path": "headers" });
  const add = h("button", { type: "button", on: { click: () => (s.headers.push({ name: "", value: "", enabled: true }), draw(s.headers.length - 1)) } }, "Add header");

  function draw(focusRow?: number) {
    replace(
      rows,
      s.headers.length === 0 && h("p", { class: "muted" }, "No custom headers."),
      s.headers.map((hd, i) => {
        const name = h("input", { type: "text", value: hd.name, "aria-label": `Header ${i + 1} name`, placeholder: "X-Custom-Header", "data-path": `headers.${i}.name`, on: { input: (e) => (hd.name = (e.target as HTMLInputElement).value) } });
        const value = h("input", {
          type: "text",
          value: hd.value,
          "aria-label": `Header ${i + 1} value`,
          placeholder: "MyValue",
          "data-path": `headers.${i}.value`,
          on: { input: (e) => ((hd.value = (e.target as HTMLInputElement).value), (hd.masked = false)) },
        });
        const enabled = h("input", { type: "checkbox", role: "switch", id: `header-${i}-enabled`, checked: hd.enabled, "data-path": `headers.${i}.enabled`, on: { change: (e) => (hd.enabled = (e.target as HTMLInputElement).checked) } });
        return h(
          "div",
          { class: "header-row" },
          h("div", { class: "field" }, h("span", { class: "label", "aria-hidden": "true" }, "Header Name"), name),
          h("div", { class: "field" }, h("span", { class: "label", "aria-hidden": "true" }, "Header Value"), value, hd.masked ? h("span", { class: "hint" }, "Hidden credential: leave it as it is to keep it.") : null),
          h("div", { class: "check switch" }, enabled, h("label", { for: `header-${i}-enabled` }, "Enabled")),
          h("button", { type: "button", class: "link", "aria-label": `Remove header ${i + 1}`, on: { click: () => (s.headers.splice(i, 1), draw()) } }, "Remove"),
        );
      }),
    );
    add.disabled = s.headers.length >= MAX_HEADERS;
    if (focusRow !== undefined) rows.querySelectorAll<HTMLInputElement>(".header-row input[type=text]")[focusRow * 2]?.focus();
  }
  draw();
  return h(
    "div",
    { class: "section" },
    h("p", null, "Added to every delivery: API keys for your endpoint, version headers, correlation IDs. Values of credential headers (Authorization, *-Key, *-Token, *-Secret) are never shown again."),
    rows,
    add,
  );
}

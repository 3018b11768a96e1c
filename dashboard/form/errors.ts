/**
 * The API's field errors shown next to the field they name: a control carries data-path="url"
 * or "headers.0.name"; an error on a path no control has goes to the nearest one above it
 * ("criteria.request_schema.properties" to "criteria.request_schema").
 */
import type { FieldError } from "../api";
import { h } from "../dom";

function controlFor(root: ParentNode, path: string): HTMLElement | null {
  const parts = path.split(".");
  while (parts.length > 0) {
    const found = root.querySelector<HTMLElement>(`[data-path="${CSS.escape(parts.join("."))}"]`);
    if (found) return found;
    parts.pop();
  }
  return null;
}

export function clearFieldErrors(root: ParentNode) {
  root.querySelectorAll(".field-error").forEach((e) => e.remove());
  root.querySelectorAll("[aria-invalid]").forEach((e) => {
    e.removeAttribute("aria-invalid");
    const describedBy = (e.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => !id.startsWith("err-")).join(" ");
    if (describedBy) e.setAttribute("aria-describedby", describedBy);
    else e.removeAttribute("aria-describedby");
  });
}

/** Shows each error by its field; answers the ones no field on screen could take. */
export function showFieldErrors(root: ParentNode, errors: FieldError[]): FieldError[] {
  clearFieldErrors(root);
  const unplaced: FieldError[] = [];
  errors.forEach((error, i) => {
    const control = controlFor(root, error.path);
    if (!control) return unplaced.push(error);
    const id = `err-${i}-${error.path.replace(/\W/g, "-")}`;
    const message = h("p", { class: "field-error", id }, error.message);
    // At the end of the control's wrapper, under what it is about (a header row: under the row).
    (control.closest(".header-row") ?? control.closest(".field, .check, fieldset") ?? control).append(message);
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", [control.getAttribute("aria-describedby"), id].filter(Boolean).join(" "));
  });
  return unplaced;
}

/** The first control with an error, to move the focus to. */
export const firstInvalid = (root: ParentNode) => root.querySelector<HTMLElement>("[aria-invalid='true']");

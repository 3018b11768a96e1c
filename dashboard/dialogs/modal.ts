/**
 * Modal dialogs on the native <dialog>: focus stays inside, Escape cancels, and focus goes back
 * to the button that opened it.
 */
import { h, uid, type Child } from "../dom";

export interface Modal {
  dialog: HTMLDialogElement;
  body: HTMLElement;
  footer: HTMLElement;
  close(value?: string): void;
  closed: Promise<string>;
}

export function modal(heading: string, ...content: Child[]): Modal {
  const opener = document.activeElement as HTMLElement | null;
  const headingId = uid("dlg");
  const body = h("div", { class: "dialog-body" }, content);
  const footer = h("div", { class: "actions" });
  const dialog = h("dialog", { "aria-labelledby": headingId }, h("h2", { id: headingId }, heading), body, footer);
  document.body.append(dialog);
  const closed = new Promise<string>((resolve) =>
    dialog.addEventListener("close", () => {
      dialog.remove();
      opener?.focus();
      resolve(dialog.returnValue);
    }),
  );
  dialog.showModal();
  return { dialog, body, footer, close: (value = "") => dialog.close(value), closed };
}

export interface Choice {
  value: string;
  label: string;
  kind?: "primary" | "danger";
}

/** A question with buttons; resolves to the value of the one pressed, or "" when cancelled. */
export function ask(heading: string, content: Child, choices: Choice[]): Promise<string> {
  const m = modal(heading, content);
  const cancel = h("button", { type: "button", on: { click: () => m.close("") } }, "Cancel");
  const buttons = choices.map((c) => h("button", { type: "button", class: c.kind ?? "", on: { click: () => m.close(c.value) } }, c.label));
  m.footer.append(cancel, ...buttons);
  // The safe answer has the focus: Enter on a delete question does not delete.
  cancel.focus();
  return m.closed;
}

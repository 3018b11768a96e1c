/** A small element builder: properties for form state, attributes for the rest, listeners under `on`. */
export type Child = Node | string | number | null | undefined | false | Child[];
type Listeners = { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
export type Props = Record<string, unknown> & { on?: Listeners };

// Set as properties: what a person changes in a form lives there, not in the attribute.
const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "indeterminate", "readOnly", "multiple"]);

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (key === "on") {
      for (const [type, listener] of Object.entries(value as Listeners)) el.addEventListener(type, listener as EventListener);
    } else if (PROPERTIES.has(key)) {
      (el as unknown as Record<string, unknown>)[key] = value;
    } else if (value !== false && value !== null && value !== undefined) {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else if (child !== null && child !== undefined && child !== false) parent.appendChild(document.createTextNode(String(child)));
  }
}

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let nextId = 0;
/** A unique id for label/aria references. */
export const uid = (prefix: string) => `${prefix}-${++nextId}`;

/** A labelled input: the label, the control, and an optional hint the control is described by. */
export function field(label: string, control: HTMLElement, hint?: Child): HTMLElement {
  const id = control.id || uid("f");
  control.id = id;
  const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintEl);
}

/** A button that shows it is busy while `action` runs, and cannot be pressed twice. */
export function busyButton(label: string, action: () => Promise<void>, props: Props = {}): HTMLButtonElement {
  const button: HTMLButtonElement = h("button", {
    type: "button",
    ...props,
    on: {
      click: async () => {
        if (button.disabled) return;
        const hadFocus = document.activeElement === button;
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
        try {
          await action();
        } finally {
          button.disabled = false;
          button.removeAttribute("aria-busy");
          // Disabling it dropped the focus to the page: give it back if nothing else took it.
          if (hadFocus && button.isConnected && (document.activeElement === document.body || !document.activeElement)) button.focus();
        }
      },
    },
  }, label);
  return button;
}

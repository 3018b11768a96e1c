/** Sign in with the organisation's API key; it is kept for this browser tab only. */
import { ApiFailure, checkKey } from "../api";
import { field, h, replace } from "../dom";
import { notice, title, type Screen } from "../screen";
import { setKey } from "../session";

export async function signInScreen({ main }: Screen, message: string | undefined, signedIn: () => void): Promise<void> {
  const key = h("input", { type: "password", name: "api_key", autocomplete: "off", spellcheck: "false", required: true, placeholder: "nfk_…" });
  const status = h("div");
  const form = h(
    "form",
    { class: "card narrow", on: { submit: (e) => void submit(e) } },
    field("API key", key, "Your organisation's API key. It stays in this browser tab and is forgotten when you close it."),
    h("button", { type: "submit", class: "primary" }, "Sign in"),
  );

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const value = key.value.trim();
    try {
      if (!(await checkKey(value))) {
        replace(status, notice("error", "That API key was not accepted. Check it and try again."));
        key.setAttribute("aria-invalid", "true");
        key.focus();
        return;
      }
    } catch (err) {
      replace(status, notice("error", err instanceof ApiFailure ? err.message : String(err)));
      return;
    }
    setKey(value);
    signedIn();
  }

  replace(main, title("Sign in"), h("p", { class: "lead" }, "Manage your organisation's webhooks."), message ? notice("error", message) : null, status, form);
}

/**
 * "Editing a Webhook": every setting but the type, which is shown but fixed; the certificate;
 * and the status actions (Activate, Pause, Resume), Test and Delete.
 */
import { activate, pause, remove, removeCertificate, resume } from "../actions";
import { api, ApiFailure } from "../api";
import { eventTypes } from "../catalogue";
import { openRotateDialog } from "../dialogs/rotate-secret";
import { openTestDialog } from "../dialogs/test-event";
import { busyButton, h, replace, type Child } from "../dom";
import { basicSection } from "../form/basic";
import { certificateSection } from "../form/certificate";
import { criteriaSection } from "../form/criteria";
import { firstInvalid, showFieldErrors } from "../form/errors";
import { eventsSection } from "../form/events";
import { headersSection } from "../form/headers";
import { retryScheduleSection } from "../form/retry-schedule";
import { secretSection } from "../form/secret";
import { formOf, patchBody } from "../form/state";
import { STATUS_LABEL } from "../format";
import { notice, setFlash, title, type Screen } from "../screen";
import type { CertificateValidation, Webhook } from "../types";

export async function editScreen(screen: Screen, id: string, message?: Child): Promise<void> {
  const { main, signal } = screen;
  const [w] = await Promise.all([api<Webhook>("GET", `/v1/webhooks/${id}`), eventTypes()]);
  if (signal.aborted) return;
  const s = formOf(w);
  const messages = h("div", { class: "messages" }, message);
  const again = (text: string) => editScreen(screen, id, notice("success", text));
  const failed = (err: unknown) => replace(messages, notice("error", err instanceof ApiFailure ? err.message : String(err)));
  const run = (action: () => Promise<void>) => async () => {
    try {
      await action();
    } catch (err) {
      failed(err);
    }
  };

  const statusAction =
    w.status === "inactive"
      ? busyButton("Activate", run(async () => (await activate(w), await again("The webhook is active."))), { class: "primary" })
      : w.status === "active"
        ? busyButton("Pause", run(async () => (await pause(w), await again("The webhook is paused: events are not delivered while paused."))))
        : busyButton("Resume", run(async () => {
            const r = await resume(w);
            if (r) await again(`The webhook is active again${r.replayed ? `; ${r.replayed} skipped deliveries are being sent` : ""}.`);
          }), { class: "primary" });

  const removeStored = run(async () => {
    if (await removeCertificate(w)) await again("The certificate was removed.");
  });
  const validate = () => api<CertificateValidation>("POST", `/v1/webhooks/${id}/certificate/validate`, s.pem.trim() ? { pem: s.pem } : {});

  const form = h(
    "form",
    { class: "card", on: { submit: (e) => void save(e) } },
    h("fieldset", null, h("legend", null, "Basic Information"), basicSection(s, "edit")),
    h("fieldset", null, h("legend", null, "Authentication (mTLS)"), certificateSection(s, { stored: w.certificate, validate, remove: removeStored })),
    h("fieldset", null, h("legend", null, "Webhook Secret"), secretSection(s, w.secret_hint)),
    h("fieldset", null, h("legend", null, "Custom Headers"), headersSection(s)),
    w.type === "event_notification"
      ? h("fieldset", null, h("legend", null, "Event Subscription"), await eventsSection(s))
      : h("fieldset", null, h("legend", null, "Verification Criteria"), criteriaSection(s)),
    w.type === "event_notification" && h("fieldset", null, h("legend", null, "Retries"), retryScheduleSection(s)),
    h("p", { class: "muted" }, "Editing a webhook does not affect pending deliveries: they are sent as they were queued."),
    h("div", { class: "actions" }, h("a", { class: "button", href: "#/" }, "Cancel"), h("button", { type: "submit", class: "primary" }, "Update Webhook")),
  );

  async function save(event: SubmitEvent) {
    event.preventDefault();
    const { body, errors } = patchBody(s);
    try {
      if (errors.length) throw new ApiFailure(400, "VALIDATION_FAILED", "Some fields need fixing: see the messages next to them.", errors);
      await api("PATCH", `/v1/webhooks/${id}`, body);
      if (s.pem.trim()) await api("PUT", `/v1/webhooks/${id}/certificate`, { pem: s.pem });
    } catch (err) {
      const unplaced = err instanceof ApiFailure ? showFieldErrors(form, err.details) : [];
      if (err instanceof ApiFailure && err.details.length > 0 && unplaced.length === 0) {
        replace(messages, notice("error", "Some fields need fixing: see the messages next to them."));
      } else failed(err);
      firstInvalid(form)?.focus();
      return;
    }
    await again("The webhook was updated.");
  }

  replace(
    main,
    title(`Edit ${w.name}`),
    h("p", null, h("a", { href: "#/" }, "← All webhooks")),
    messages,
    h(
      "div",
      { class: "card status-bar" },
      h("p", null, "Status: ", h("span", { class: `badge ${w.status}` }, STATUS_LABEL[w.status]), w.paused_reason && w.status === "paused" ? h("span", { class: "muted" }, ` — ${w.paused_reason}`) : null),
      h(
        "div",
        { class: "actions left" },
        statusAction,
        busyButton("Test", () => openTestDialog(w)),
        busyButton("Rotate secret", run(async () => {
          const done = await openRotateDialog(w);
          if (done) await again(done);
        })),
        h("a", { class: "button", href: `#/webhooks/${id}/logs` }, "View Logs"),
        h("a", { class: "button", href: `#/webhooks/${id}/stats` }, "Statistics"),
        busyButton("Delete", run(async () => {
          if (!(await remove(w))) return;
          setFlash(`${w.name} was deleted.`);
          location.hash = "#/";
        }), { class: "danger" }),
      ),
    ),
    form,
  );
  if (message) main.querySelector<HTMLElement>("h1")?.focus();
}

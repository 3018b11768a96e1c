/**
 * "Creating a Webhook" in the product document's six steps. Nothing is stored until Create
 * Webhook: Validate Certificate tries the certificate against the URL of step 1 with
 * POST /v1/certificates/validate, which stores nothing. The API's field errors take the person
 * to the step of the field.
 */
import { api, ApiFailure, type FieldError } from "../api";
import { eventTypes } from "../catalogue";
import { h, replace } from "../dom";
import { basicSection } from "../form/basic";
import { certificateSection } from "../form/certificate";
import { criteriaSection } from "../form/criteria";
import { firstInvalid, showFieldErrors } from "../form/errors";
import { eventsSection } from "../form/events";
import { headersSection } from "../form/headers";
import { retryScheduleSection } from "../form/retry-schedule";
import { reviewSection } from "../form/review";
import { secretSection } from "../form/secret";
import { createBody, emptyForm, patchBody } from "../form/state";
import { notice, setFlash, title, type Screen } from "../screen";
import type { CertificateValidation, Webhook } from "../types";

const STEPS = [
  { title: "Basic Information", fields: ["type", "name", "description", "url", "method"] },
  { title: "Authentication (mTLS)", fields: ["pem", "secret"] },
  { title: "Custom Headers", fields: ["headers"] },
  { title: "Event Subscription", fields: ["events", "retry_schedule"] },
  { title: "Verification Criteria", fields: ["criteria"] },
  { title: "Review & Create", fields: [] },
];

const stepOf = (path: string) => Math.max(0, STEPS.findIndex((s) => s.fields.includes(path.split(".")[0]!)));

export async function createScreen({ main, signal }: Screen): Promise<void> {
  await eventTypes();
  const s = emptyForm();
  let step = 0;
  let reached = 0;
  let errors: FieldError[] = [];
  let problem: string | null = null;
  let savedId: string | null = null;
  let generatedSecret: string | null = null;

  const heading = title("Create Webhook");
  const body = h("div");
  replace(main, heading, body);

  function fail(err: unknown) {
    if (err instanceof ApiFailure && err.details.length > 0 && err.details.some((d) => d.path !== "(body)")) {
      errors = err.details;
      problem = "Some fields need fixing: see the messages next to them.";
      return go(Math.min(...errors.map((e) => stepOf(e.path))));
    }
    problem = err instanceof Error ? err.message : String(err);
    return draw(false);
  }

  /** Stores what is filled in: a new webhook the first time, an update after that. */
  async function save(): Promise<boolean> {
    const { body: payload, errors: local } = savedId ? patchBody(s) : createBody(s);
    if (local.length > 0) {
      await fail(new ApiFailure(400, "VALIDATION_FAILED", "", local));
      return false;
    }
    try {
      if (savedId) {
        await api<Webhook>("PATCH", `/v1/webhooks/${savedId}`, payload);
      } else {
        const created = await api<Webhook>("POST", "/v1/webhooks", payload);
        savedId = created.id;
        generatedSecret = created.secret ?? null;
      }
      errors = [];
      return true;
    } catch (err) {
      await fail(err);
      return false;
    }
  }

  async function validateCertificate(): Promise<CertificateValidation> {
    if (!s.pem.trim()) throw new Error("Choose a certificate file (or paste one) first.");
    try {
      return await api<CertificateValidation>("POST", "/v1/certificates/validate", { pem: s.pem, url: s.url });
    } catch (err) {
      // The URL is refused as it would be on saving: say so by its field, in step 1.
      if (!(err instanceof ApiFailure) || !err.details.some((d) => d.path === "url")) throw err;
      await fail(err);
      throw new Error("Fix the fields marked first.");
    }
  }

  async function finish() {
    if (!(await save())) return;
    if (s.pem.trim()) {
      try {
        await api("PUT", `/v1/webhooks/${savedId}/certificate`, { pem: s.pem });
      } catch (err) {
        return fail(err);
      }
    }
    setFlash([
      h("p", null, `Webhook “${s.name}” was created with status Inactive. To activate it, click Activate on its row.`),
      generatedSecret && h("p", null, "Its signing secret, shown only this once: ", h("code", { class: "secret" }, generatedSecret)),
    ]);
    location.hash = "#/";
  }

  async function cancel() {
    if (savedId) await api("DELETE", `/v1/webhooks/${savedId}`).catch(() => {});
    location.hash = "#/";
  }

  async function go(to: number) {
    step = to;
    reached = Math.max(reached, to);
    await draw(true);
  }

  async function section(): Promise<HTMLElement> {
    switch (step) {
      // Once saved (Create Webhook stored it, then its certificate was refused), the type is fixed.
      case 0: return basicSection(s, savedId ? "edit" : "create");
      case 1: {
        const note = savedId ? notice("info", "This webhook was saved as Inactive, but its certificate was refused. Fix it and press Create Webhook again; Cancel deletes the webhook.") : null;
        return h("div", null, certificateSection(s, { validate: validateCertificate, note }), h("h3", null, "Webhook Secret"), secretSection(s, null));
      }
      case 2: return headersSection(s);
      case 3: return h("div", null, await eventsSection(s), retryScheduleSection(s));
      case 4: return criteriaSection(s);
      default: return reviewSection(s);
    }
  }

  async function draw(moved: boolean) {
    const content = await section();
    if (signal.aborted) return;
    const stepHeading = h("h2", { tabindex: "-1" }, `Step ${step + 1}: ${STEPS[step]!.title}`);
    const last = step === STEPS.length - 1;
    const form = h(
      "form",
      {
        class: "card wizard",
        on: {
          submit: (e) => {
            e.preventDefault();
            problem = null;
            // What was wrong here may be fixed now; the API says again on saving if not.
            errors = errors.filter((err) => stepOf(err.path) !== step);
            void (last ? finish() : go(step + 1));
          },
        },
      },
      stepHeading,
      content,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "link", on: { click: () => void cancel() } }, "Cancel"),
        step > 0 && h("button", { type: "button", on: { click: () => void go(step - 1) } }, "Back"),
        h("button", { type: "submit", class: "primary" }, last ? "Create Webhook" : "Next"),
      ),
    );
    const progress = h(
      "ol",
      { class: "steps", "aria-label": "Steps" },
      STEPS.map((st, i) =>
        h(
          "li",
          { class: i === step ? "current" : i <= reached ? "done" : "" },
          i <= reached && i !== step
            ? h("button", { type: "button", class: "link", on: { click: () => void go(i) } }, `${i + 1}. ${st.title}`)
            : h("span", { "aria-current": i === step ? "step" : false }, `${i + 1}. ${st.title}`),
        ),
      ),
    );
    replace(body, progress, problem && notice("error", problem), form);
    const unplaced = showFieldErrors(form, errors.filter((e) => stepOf(e.path) === step));
    if (unplaced.length) form.prepend(notice("error", unplaced.map((e) => `${e.path}: ${e.message}`).join("; ")));
    if (moved) (firstInvalid(form) ?? stepHeading).focus();
  }

  await draw(false);
}

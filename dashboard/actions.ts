/** The actions that change a webhook: activate, pause, resume, delete, and remove its certificate. */
import { api } from "./api";
import { ask } from "./dialogs/modal";
import { h } from "./dom";
import type { Webhook } from "./types";

export const activate = (w: Webhook) => api<Webhook>("POST", `/v1/webhooks/${w.id}/activate`);
export const pause = (w: Webhook) => api<Webhook>("POST", `/v1/webhooks/${w.id}/pause`);

/** Resume, asking whether the events skipped while paused are sent now. Null when cancelled. */
export async function resume(w: Webhook): Promise<(Webhook & { replayed: number }) | null> {
  const replay = h("input", { type: "checkbox", id: "replay-skipped", checked: true });
  const answer = await ask(
    `Resume ${w.name}?`,
    [
      h("p", null, "Deliveries start again for new events."),
      h("div", { class: "check" }, replay, h("label", { for: "replay-skipped" }, "Also deliver the events skipped while it was paused")),
    ],
    [{ value: "resume", label: "Resume", kind: "primary" }],
  );
  if (answer !== "resume") return null;
  return api("POST", `/v1/webhooks/${w.id}/resume`, { replay_skipped: replay.checked });
}

/** Delete after a confirmation that says what goes and that it cannot be undone. False when cancelled. */
export async function remove(w: Webhook): Promise<boolean> {
  const answer = await ask(
    `Delete ${w.name}?`,
    [
      h("p", null, "The webhook, all its delivery logs and its exports are deleted."),
      h("p", { class: "warning" }, h("strong", null, "Warning: This action cannot be undone!")),
    ],
    [{ value: "delete", label: "Delete webhook", kind: "danger" }],
  );
  if (answer !== "delete") return false;
  await api("DELETE", `/v1/webhooks/${w.id}`);
  return true;
}

/** Remove the stored CA certificate after a confirmation. False when cancelled. */
export async function removeCertificate(w: Webhook): Promise<boolean> {
  const answer = await ask(
    `Remove the certificate of ${w.name}?`,
    h("p", null, "Its CA certificate is deleted from Nafsi. You can upload one again at any time."),
    [{ value: "remove", label: "Remove certificate", kind: "danger" }],
  );
  if (answer !== "remove") return false;
  await api("DELETE", `/v1/webhooks/${w.id}/certificate`);
  return true;
}

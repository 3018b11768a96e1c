import type { Env } from "../env";

export interface PauseNotice {
  webhookId: string;
  name: string;
  url: string;
  reason: string;
}

export async function sendPauseEmail(env: Env, to: string, n: PauseNotice): Promise<void> {
  await env.EMAIL.send({
    from: { name: "Nafsi Webhooks", email: env.EMAIL_FROM },
    to,
    subject: `Webhook "${n.name}" was paused`,
    text: [
      `Your webhook "${n.name}" (${n.webhookId}) was paused.`,
      "",
      `Reason: ${n.reason}.`,
      `Endpoint: ${n.url}`,
      "",
      "Events are not delivered while it is paused; they are logged as skipped.",
      `Fix the endpoint, then resume it: POST /v1/webhooks/${n.webhookId}/resume`,
      `(send {"replay_skipped": true} to deliver the skipped events).`,
    ].join("\n"),
  });
}

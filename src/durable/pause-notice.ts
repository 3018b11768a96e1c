import type { Env } from "../env";
import { noticeFault } from "./faults";
import { sendPauseEmail } from "./pause-email";
import { readNotice, recordEmail } from "./pause-record";
import { NOTICE_RETRY_DELAYS_MS, NOTICE_TRIES } from "./policy";

/** One automatic pause in progress, kept in the webhook's Durable Object until its email is settled. */
export interface Notice {
  /** The notifications row's id, chosen before anything is written, so every step can run again. */
  id: string;
  organisationId: number;
  webhookId: string;
  streak: number;
  /** The webhook's paused_reason and the email's; absent in notices opened before there was a choice: the auto-pause's. */
  reason?: string;
  step: "pause" | "email";
  /** Runs of the current step that threw (D1 unreachable, say); the next waits NOTICE_RETRY_DELAYS_MS[failures - 1]. */
  failures: number;
  /** Sends begun. */
  tries: number;
  /** A send begun and not known to have ended. */
  sending: boolean;
  sent: boolean;
  /** When the alarm should run this notice next. */
  due: number;
}

type Update = (changes: Partial<Notice>) => Notice;

const log = (level: string, msg: string, n: Notice, fields: Record<string, unknown>) =>
  console.error(JSON.stringify({ level, msg, notificationId: n.id, organisationId: n.organisationId, webhookId: n.webhookId, ...fields }));

/**
 * One run of a notice's email step; true when the notice is settled. The object's own storage
 * says where the send is: "sending" is stored before the send leaves (a Durable Object holds
 * outgoing messages until its storage writes are durable) and "sent" right after it returns, so a
 * run that starts again after a crash records the outcome instead of sending a second email. A
 * send interrupted with no answer is recorded as failed and not sent again: at most one email.
 * D1 errors throw (the object retries the run later); a refused send is retried here.
 */
export async function sendNoticeEmail(env: Env, n: Notice, update: Update): Promise<boolean> {
  if (n.sent) {
    await recordEmail(env, n.id, n.organisationId, "sent", n.tries);
    return true;
  }
  if (n.sending) {
    const error = "interrupted while sending, with no answer: it may have gone out, so it is not sent again";
    await recordEmail(env, n.id, n.organisationId, "failed", n.tries, error);
    log("error", "pause email failed", n, { tries: n.tries, error });
    return true;
  }
  noticeFault("notice-lookup");
  const notice = await readNotice(env, n.id, n.organisationId, n.reason);
  if (!notice) return true; // the webhook was deleted, and its notifications with it
  const tries = n.tries + 1;
  await recordEmail(env, n.id, n.organisationId, "sending", tries);
  n = update({ tries, sending: true });
  try {
    noticeFault("email-send");
    await sendPauseEmail(env, notice.recipient, notice);
  } catch (err) {
    update({ sending: false });
    return refused(env, n, String(err).slice(0, 500), update);
  }
  n = update({ sending: false, sent: true });
  noticeFault("email-sent");
  await recordEmail(env, n.id, n.organisationId, "sent", tries);
  return true;
}

/** A send that threw: tried again later, or recorded as failed once NOTICE_TRIES are used. */
async function refused(env: Env, n: Notice, error: string, update: Update): Promise<boolean> {
  if (n.tries >= NOTICE_TRIES) {
    await recordEmail(env, n.id, n.organisationId, "failed", n.tries, error);
    log("error", "pause email failed", n, { tries: n.tries, error });
    return true;
  }
  log("warn", "pause email refused; retried later", n, { tries: n.tries, error });
  update({ due: Date.now() + NOTICE_RETRY_DELAYS_MS[n.tries - 1]! });
  await recordEmail(env, n.id, n.organisationId, "pending", n.tries, error);
  return false;
}

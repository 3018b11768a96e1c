import { z } from "zod";
import { DEFAULT_RETRY_SCHEDULE, MAX_RETRIES, MAX_RETRY_DELAY_S } from "../delivery/retry-policy";

const delayRule = `must be a whole number of seconds from 1 to ${MAX_RETRY_DELAY_S}`;

/**
 * retry_schedule: the waits in seconds before each retry. [2, 4] is three attempts: the first at
 * once, the second 2 s after it fails, the third 4 s after the second fails. The bounds come from
 * src/delivery/retry-policy.ts (the queue's longest delay). An empty list: one attempt, no retries.
 */
export const retryScheduleField = z
  .array(z.number({ error: delayRule }).int(delayRule).min(1, delayRule).max(MAX_RETRY_DELAY_S, delayRule), {
    error: `must be a list of at most ${MAX_RETRIES} delays in seconds, e.g. [2, 4]`,
  })
  .max(MAX_RETRIES, `must have at most ${MAX_RETRIES} delays`)
  .describe(
    `Seconds to wait before each retry of a failed delivery (event_notification only; checks are not retried): ` +
      `at most ${MAX_RETRIES} delays of 1 to ${MAX_RETRY_DELAY_S} s; delays of 60 s or more vary by ±10%. ` +
      `Default [${DEFAULT_RETRY_SCHEDULE.join(", ")}]: three attempts. Applies to deliveries created after the change`,
  );

export const RETRY_SCHEDULE_CHECK_RULE = "applies only to event_notification webhooks: checks are not retried";

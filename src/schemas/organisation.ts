import { z } from "zod";

export const OrganisationCreate = z.strictObject({
  name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  notification_email: z.email("must be an email address").max(254, "must be at most 254 characters"),
});

/** A new key takes no fields; a body, if any, must be an empty object. */
export const ApiKeyCreate = z.strictObject({});

export const OrganisationOut = z.object({
  id: z.number().int(),
  name: z.string(),
  notification_email: z.string(),
  api_key: z.string().describe("Shown once"),
  created_at: z.string(),
});

export const ApiKeyOut = z.object({ id: z.string(), api_key: z.string().describe("Shown once"), created_at: z.string() });

/** A key as listed: its id and age only (the key itself is shown once, at creation, and stored as a hash). */
export const ApiKeySummary = z.object({ id: z.string(), created_at: z.string() });
export const ApiKeyList = z.object({ data: z.array(ApiKeySummary).describe("Newest first") });

/** An email sent to the organisation (an automatic pause's notice) and where its delivery is. */
export const NotificationOut = z.object({
  id: z.string(),
  webhook_id: z.string(),
  kind: z.string().describe("webhook.auto_paused"),
  recipient: z.string(),
  status: z.enum(["pending", "sending", "sent", "failed"]).describe("pending: waiting for its next try; failed: given up after its tries"),
  tries: z.number().int().describe("Sends begun"),
  error: z.string().nullable().describe("The last failed try's error"),
  created_at: z.string(),
  updated_at: z.string(),
});
export const NotificationList = z.object({ data: z.array(NotificationOut).describe("Newest first, at most 100") });

const ObjectMeter = z.object({ objects: z.number().int(), rows_written: z.number().int(), rows_read: z.number().int() });

/** Storage rows an organisation's traffic wrote and read, summed over its objects since each started (src/routes/storage-meter.ts). */
export const StorageMeterOut = z.object({
  event_shards: ObjectMeter,
  partitions: ObjectMeter,
  rows_written: z.number().int(),
  rows_read: z.number().int(),
});
export type StorageMeterOut = z.infer<typeof StorageMeterOut>;

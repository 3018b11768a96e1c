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

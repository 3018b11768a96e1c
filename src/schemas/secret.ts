import { z } from "zod";
import { webhookSchemas } from "./webhook";

/** The product's rotation window: a day by default, so receivers can switch at leisure. */
export const DEFAULT_OVERLAP_SECONDS = 86_400;
/** At most a week: long enough for a weekly deploy train, short enough that an old secret dies. */
export const MAX_OVERLAP_SECONDS = 604_800;

const overlapRule = `must be a whole number of seconds from 0 to ${MAX_OVERLAP_SECONDS} (0: the previous secret stops signing at once)`;

/** POST /v1/webhooks/{id}/secret/rotate */
export const SecretRotateIn = z.strictObject({
  // The create route's own field (length, no CR/LF/NUL, the whsec_ form), so what passes here saves there.
  secret: webhookSchemas({ allowLocal: false }).create.shape.secret.describe(
    "The new secret. Left out, the service generates whsec_ + base64 of 32 random bytes",
  ),
  overlap_seconds: z
    .number({ error: overlapRule })
    .int(overlapRule)
    .min(0, overlapRule)
    .max(MAX_OVERLAP_SECONDS, overlapRule)
    .default(DEFAULT_OVERLAP_SECONDS)
    .describe("How long the previous secret goes on signing beside the new one; 0 for a leaked secret"),
});

export const SecretRotateOut = z.object({
  secret: z.string().describe("The new secret, shown this once"),
  secret_hint: z.string().describe("Its last 4 characters"),
  previous_secret_expires_at: z.string().describe("When the previous secret stops signing (now, for an overlap of 0)"),
});
export type SecretRotateOut = z.infer<typeof SecretRotateOut>;

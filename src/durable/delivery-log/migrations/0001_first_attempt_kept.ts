/**
 * A delivery's first attempt, when it succeeded promptly, kept in the delivery's own row instead
 * of a row of attempts (first-attempt.ts says when and how it is read back). Most deliveries end
 * with one successful attempt, and the attempt row was a third row written per delivery (event,
 * delivery, attempt): rows written are the bill. The attempt's id and time are the first of the
 * delivery's attempt_keys; its status is success, its number 1, its revision the delivery's
 * original one, so only what the response said needs columns. first_response_code is set exactly
 * when the row keeps its first attempt (a success always has a response code).
 */
export const firstAttemptKept = `
ALTER TABLE deliveries ADD COLUMN first_response_code INTEGER;
--> statement-breakpoint
ALTER TABLE deliveries ADD COLUMN first_response_time_ms INTEGER;
--> statement-breakpoint
ALTER TABLE deliveries ADD COLUMN first_signed_headers TEXT;
--> statement-breakpoint
ALTER TABLE deliveries ADD COLUMN first_response_content_type TEXT;
--> statement-breakpoint
ALTER TABLE deliveries ADD COLUMN first_response_body TEXT;
`;

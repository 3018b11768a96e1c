-- A resent delivery gets one more attempt, and no retries after it (src/delivery/resend.ts):
-- the attempt after which it ends whatever the outcome. NULL: the retry schedule decides.
ALTER TABLE deliveries ADD COLUMN last_attempt INTEGER;

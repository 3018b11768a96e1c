-- A webhook's retry schedule (retry_schedule): the waits in seconds before each retry, as JSON.
-- Each revision keeps its own copy, as it does the URL and the secret: a pending delivery retries
-- on the schedule it was created with, since editing a webhook does not affect pending deliveries
-- (the product document). Webhooks from before keep the product document's schedule, 2 s and 4 s.
ALTER TABLE webhooks ADD COLUMN retry_schedule TEXT NOT NULL DEFAULT '[2,4]';
ALTER TABLE webhook_revisions ADD COLUMN retry_schedule TEXT NOT NULL DEFAULT '[2,4]';

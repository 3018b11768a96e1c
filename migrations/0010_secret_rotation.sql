-- Secret rotation (src/routes/secret.ts): during the overlap a delivery is signed with the new
-- secret and the previous one. The previous secret is stored sealed like secret_enc, with the
-- time its overlap ends; the maintenance run erases it then (src/maintenance/secret-expiry.ts).
-- On webhooks for what is sent next, and on every revision for deliveries already pinned to one.
ALTER TABLE webhooks ADD COLUMN previous_secret_enc TEXT;
ALTER TABLE webhooks ADD COLUMN previous_secret_expires_at INTEGER;
ALTER TABLE webhook_revisions ADD COLUMN previous_secret_enc TEXT;
ALTER TABLE webhook_revisions ADD COLUMN previous_secret_expires_at INTEGER;

-- The erasure reads only the rows that still hold a previous secret.
CREATE INDEX webhooks_previous_secret ON webhooks(previous_secret_expires_at) WHERE previous_secret_enc IS NOT NULL;
CREATE INDEX webhook_revisions_previous_secret ON webhook_revisions(previous_secret_expires_at) WHERE previous_secret_enc IS NOT NULL;

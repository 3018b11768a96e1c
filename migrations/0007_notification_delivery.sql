-- An automatic pause's email is sent by the webhook's Durable Object from an alarm, with retries,
-- so a notification row is written with the pause (in the same transaction) and then follows its
-- email: pending → sending → sent, or failed with the last error once the tries are used up.
-- Rows from before this migration were written after their one send: sent, or failed with an error.
ALTER TABLE notifications ADD COLUMN status TEXT NOT NULL DEFAULT 'sent' CHECK (status IN ('pending', 'sending', 'sent', 'failed'));
ALTER TABLE notifications ADD COLUMN tries INTEGER NOT NULL DEFAULT 1;
ALTER TABLE notifications ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE notifications SET status = 'failed' WHERE error IS NOT NULL;
UPDATE notifications SET updated_at = created_at;
-- The operator's list: an organisation's notifications, newest first.
CREATE INDEX notifications_organisation ON notifications(organisation_id, created_at);

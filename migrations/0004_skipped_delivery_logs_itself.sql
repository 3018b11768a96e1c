-- A delivery created as skipped (its webhook was paused when the event came in) logs its skip
-- itself, so ingest needs no statement of its own for it.
CREATE TRIGGER deliveries_skipped_log AFTER INSERT ON deliveries
WHEN NEW.status = 'skipped' AND NEW.attempts = 0
BEGIN
  INSERT INTO attempts (id, organisation_id, webhook_id, delivery_id, event_id, event, attempt, status, error_code, error, test, created_at)
  VALUES ('att_' || lower(hex(randomblob(12))), NEW.organisation_id, NEW.webhook_id, NEW.id, NEW.event_id, NEW.event, 1, 'skipped', 'paused', 'The webhook was paused', NEW.test, NEW.created_at);
END;

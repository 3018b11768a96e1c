-- One delivery per event and webhook: ingest fans out with a single INSERT ... SELECT, and a
-- concurrent duplicate of the same event cannot add a second set of deliveries.
CREATE UNIQUE INDEX deliveries_event_webhook ON deliveries(organisation_id, event_id, webhook_id);

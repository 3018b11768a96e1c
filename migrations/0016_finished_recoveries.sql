-- Finished recoveries are kept as long as the logs they re-sent (LOG_RETENTION_DAYS after they
-- ended), then deleted by the maintenance run (src/maintenance/retention.ts), which finds them
-- through this index: partial, so it holds only finished ones.
CREATE INDEX recoveries_finished ON recoveries(updated_at) WHERE status IN ('done', 'failed');

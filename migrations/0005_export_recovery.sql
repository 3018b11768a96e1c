-- Exports recover by themselves: a try counter (claims, including those that died without a
-- word) and the time of the last sign of life (claimed, a part written, re-enqueued). The
-- maintenance sweep re-enqueues an export that has shown none for a while, or fails it when
-- its tries are used up, so no export stays "pending" or "running" for ever.
ALTER TABLE exports ADD COLUMN tries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exports ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE exports SET updated_at = created_at;
CREATE INDEX exports_unfinished ON exports(updated_at) WHERE status IN ('pending', 'running');

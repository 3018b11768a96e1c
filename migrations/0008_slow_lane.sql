-- Webhooks whose endpoint hangs or answers late are delivered from a queue of their own
-- (src/delivery/lanes.ts): since when this one is, or NULL while it is in the main lane.
ALTER TABLE webhooks ADD COLUMN slow_since INTEGER;

-- Traffic data now lives in Durable Objects (issue 15): events in EventShard objects, a
-- webhook's deliveries, attempts, day totals and minute rollups in one DeliveryLog object per
-- webhook and UTC day (src/storage/partitions.ts). Nothing that grows with traffic is written to
-- D1 any more, so the triggers that wrote traffic rows go:
--   attempts_count (0001) counted each logged attempt into webhook_stats and webhook_latency;
--   deliveries_skipped_log (0004) logged a skipped delivery's skip attempt.
--
-- The old events, deliveries and attempts tables stay, unread: they hold the logs of a
-- deployment made before this change, kept for whoever needs them until they are dropped by hand.
--
-- webhook_stats stays: the webhook's head (src/durable/webhook-health.ts) writes it from its
-- alarm as the list's summary (totals, success and failure times, last triggered).
-- webhook_latency is no longer written (the latency histograms live in the partitions' totals);
-- it stays, unread, like the traffic tables.
DROP TRIGGER IF EXISTS attempts_count;
DROP TRIGGER IF EXISTS deliveries_skipped_log;

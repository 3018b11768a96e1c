-- Retention of finished deliveries (and then of their events) goes oldest first through this.
CREATE INDEX deliveries_finished ON deliveries(updated_at) WHERE status <> 'pending';

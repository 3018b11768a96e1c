-- The source of truth for the D1 schema; src/db/schema.ts mirrors it for Drizzle.
-- Times that are filtered or ordered on are integer milliseconds since the epoch; the API
-- renders every time as ISO 8601 UTC.

CREATE TABLE organisations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  notification_email TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- Only the SHA-256 of a key is kept: a leaked database gives no usable key.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
  key_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
CREATE INDEX api_keys_organisation ON api_keys(organisation_id);

CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
  type TEXT NOT NULL CHECK (type IN ('event_notification', 'verification_check')),
  name TEXT NOT NULL,
  description TEXT,
  url TEXT NOT NULL,
  method TEXT NOT NULL CHECK (method IN ('POST', 'PUT', 'PATCH')),
  status TEXT NOT NULL DEFAULT 'inactive' CHECK (status IN ('inactive', 'active', 'paused')),
  events TEXT NOT NULL DEFAULT '[]',
  headers_enc TEXT NOT NULL,
  criteria TEXT,
  secret_enc TEXT NOT NULL,
  secret_hint TEXT NOT NULL,
  certificate_pem TEXT,
  certificate TEXT,
  paused_reason TEXT,
  -- Mirror of the Durable Object's consecutive-failure count, so that a success on a healthy
  -- webhook (the common case) needs no Durable Object round trip.
  failure_streak INTEGER NOT NULL DEFAULT 0,
  revision_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX webhooks_organisation ON webhooks(organisation_id, id);
CREATE INDEX webhooks_fanout ON webhooks(organisation_id, type, status);

-- What a delivery is sent with, frozen when the delivery is created: editing a webhook makes a
-- new revision and leaves pending deliveries on the one they started with.
CREATE TABLE webhook_revisions (
  id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  organisation_id INTEGER NOT NULL,
  url TEXT NOT NULL,
  method TEXT NOT NULL,
  headers_enc TEXT NOT NULL,
  secret_enc TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX webhook_revisions_webhook ON webhook_revisions(webhook_id);

-- Lifetime counters, kept as attempts are logged: reading them costs the same at any volume,
-- and purging old attempts leaves them right.
CREATE TABLE webhook_stats (
  webhook_id TEXT PRIMARY KEY REFERENCES webhooks(id) ON DELETE CASCADE,
  organisation_id INTEGER NOT NULL,
  total INTEGER NOT NULL DEFAULT 0,
  successful INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  last_success_at INTEGER,
  last_failure_at INTEGER,
  last_triggered_at INTEGER
);

-- Response-time histogram per webhook (fixed buckets, see src/delivery/latency-buckets.ts).
CREATE TABLE webhook_latency (
  webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  bucket INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (webhook_id, bucket)
) WITHOUT ROWID;

-- One row per accepted event; body is the exact JSON sent to every receiver and signed.
CREATE TABLE events (
  organisation_id INTEGER NOT NULL,
  id TEXT NOT NULL,
  event TEXT NOT NULL,
  body TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  deliveries INTEGER NOT NULL,
  skipped INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (organisation_id, id)
);
CREATE INDEX events_created ON events(created_at);

CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  organisation_id INTEGER NOT NULL,
  webhook_id TEXT NOT NULL,
  revision_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'success', 'failed', 'skipped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  -- When the next attempt is due (pending only); the sweeper re-enqueues what is long overdue.
  next_attempt_at INTEGER,
  test INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_webhook ON deliveries(webhook_id, status);

-- The delivery log: one row per attempt (or per skip).
CREATE TABLE attempts (
  id TEXT PRIMARY KEY,
  organisation_id INTEGER NOT NULL,
  webhook_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('success', 'failed', 'retrying', 'skipped')),
  response_code INTEGER,
  response_time_ms INTEGER,
  error_code TEXT,
  error TEXT,
  test INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX attempts_webhook_time ON attempts(webhook_id, created_at, id);
CREATE INDEX attempts_webhook_status_time ON attempts(webhook_id, status, created_at, id);
CREATE INDEX attempts_webhook_event_time ON attempts(webhook_id, event, created_at, id);
CREATE INDEX attempts_webhook_status_event_time ON attempts(webhook_id, status, event, created_at, id);
CREATE INDEX attempts_created ON attempts(created_at);
CREATE INDEX attempts_delivery ON attempts(delivery_id, attempt);

-- Emails sent to an organisation (auto-pause notices), one row per message.
CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  organisation_id INTEGER NOT NULL,
  webhook_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  recipient TEXT NOT NULL,
  error TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX notifications_webhook ON notifications(webhook_id);

CREATE TABLE exports (
  id TEXT PRIMARY KEY,
  organisation_id INTEGER NOT NULL,
  webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
  filters TEXT NOT NULL,
  rows INTEGER NOT NULL DEFAULT 0,
  object_key TEXT,
  error TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX exports_organisation ON exports(organisation_id, id);
CREATE INDEX exports_expiry ON exports(expires_at);

-- Response-time bucket bounds (ms, exclusive upper bounds; about 1.25x apart). An attempt of t ms
-- falls in bucket = number of bounds <= t. src/stats/latency.ts holds the same list.
CREATE TABLE latency_bounds (upper_ms INTEGER PRIMARY KEY);
INSERT INTO latency_bounds (upper_ms) VALUES (1),(2),(3),(4),(5),(6),(8),(10),(12),(15),(20),(25),(30),(40),(50),(60),(80),(100),(120),(150),(200),(250),(300),(400),(500),(600),(800),(1000),(1200),(1500),(2000),(2500),(3000),(4000),(5000),(6000),(8000),(10000),(12000),(15000),(20000),(25000),(30000),(40000),(60000);

-- Statistics are kept by the database as attempts are logged, wherever they are logged from
-- (queue consumer, verification checks). Test sends and skips do not count; purges do not
-- subtract, so the counters stay lifetime figures.
CREATE TRIGGER attempts_count AFTER INSERT ON attempts
WHEN NEW.test = 0 AND NEW.status <> 'skipped'
BEGIN
  UPDATE webhook_stats SET
    total = total + 1,
    successful = successful + (NEW.status = 'success'),
    failed = failed + (NEW.status <> 'success'),
    last_success_at = CASE WHEN NEW.status = 'success' THEN NEW.created_at ELSE last_success_at END,
    last_failure_at = CASE WHEN NEW.status <> 'success' THEN NEW.created_at ELSE last_failure_at END,
    last_triggered_at = NEW.created_at
  WHERE webhook_id = NEW.webhook_id;
  INSERT INTO webhook_latency (webhook_id, bucket, count)
    SELECT NEW.webhook_id, (SELECT count(*) FROM latency_bounds WHERE upper_ms <= NEW.response_time_ms), 1
    WHERE NEW.response_time_ms IS NOT NULL
    ON CONFLICT (webhook_id, bucket) DO UPDATE SET count = count + 1;
END;

-- Recoveries (POST /v1/webhooks/{id}/recover): a background job that re-sends, once each, the
-- deliveries created in [since_at, until_at) that ended failed or skipped before it began
-- (created_at). It goes in steps across queue messages (src/recoveries/run-step.ts):
-- `cursor_at`/`cursor_id` are the last delivery passed, in (created_at, id) order, written in
-- the same transaction as the deliveries each chunk re-sends, together with `sent`.
-- `tries` counts claims since the last step that ended well; `lease_until` keeps a second
-- invocation (a duplicate message, the sweep's copy) off a recovery while one runs a step.
CREATE TABLE recoveries (
  id TEXT PRIMARY KEY,
  organisation_id INTEGER NOT NULL,
  webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
  since_at INTEGER NOT NULL,
  until_at INTEGER NOT NULL,
  total INTEGER NOT NULL,
  sent INTEGER NOT NULL DEFAULT 0,
  cursor_at INTEGER,
  cursor_id TEXT,
  tries INTEGER NOT NULL DEFAULT 0,
  lease_until INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX recoveries_organisation ON recoveries(organisation_id, id);
-- One unfinished recovery per webhook: the insert looks for one through this index.
CREATE INDEX recoveries_webhook_unfinished ON recoveries(webhook_id) WHERE status IN ('pending', 'running');
-- The maintenance sweep finds recoveries that went quiet through this one.
CREATE INDEX recoveries_unfinished ON recoveries(updated_at) WHERE status IN ('pending', 'running');
-- What a recovery reads: a webhook's ended-badly deliveries in creation order. Partial, so the
-- index holds only failed and skipped deliveries (a small share of all of them), and no test
-- events: a test is one send in the request that asked for it, never re-sent by a recovery.
CREATE INDEX deliveries_recoverable ON deliveries(webhook_id, created_at, id) WHERE status IN ('failed', 'skipped') AND test = 0;

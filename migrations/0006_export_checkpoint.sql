-- Exports go on across queue invocations. One invocation may make only so many calls to D1 and
-- R2 and use only so much CPU, so a long export stops at a part boundary, saves where it is and
-- goes on in a new invocation. The checkpoint: the R2 multipart upload, its parts (JSON
-- [{partNumber, etag}]), the position of the last row begun (JSON {createdAt, id}), and the
-- bytes of that row that did not fit in the last part (at most one row: parts are cut to one
-- size, so a row can straddle two). `rows` already counts the rows written.
-- `runs` counts invocations; `tries` keeps counting crashes only (a planned pause hands its try back).
-- `lease_until`: one invocation at a time. R2 gives each uploaded part a new ETag, so a second
-- invocation uploading the same part again would make the first one's record of it stale.
ALTER TABLE exports ADD COLUMN upload_id TEXT;
ALTER TABLE exports ADD COLUMN position TEXT;
ALTER TABLE exports ADD COLUMN parts TEXT NOT NULL DEFAULT '[]';
ALTER TABLE exports ADD COLUMN tail BLOB;
ALTER TABLE exports ADD COLUMN runs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exports ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
-- One unfinished export per webhook: the insert looks for one through this index.
CREATE INDEX exports_webhook_unfinished ON exports(webhook_id) WHERE status IN ('pending', 'running');

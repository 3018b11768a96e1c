-- The R2 files of a deleted webhook's exports. Deleting the webhook deletes its export rows
-- (ON DELETE CASCADE); its files are deleted from R2 after that, outside the D1 transaction. A
-- file whose delete failed would then have no row left to find it, and export retention would
-- never remove it. So the webhook's DELETE records each file here in the same batch, the request
-- deletes the files and their rows, and the maintenance run deletes whatever is left
-- (src/exports/delete-files.ts). upload_id: an export still writing, whose upload is aborted.
CREATE TABLE orphaned_export_files (
  object_key TEXT PRIMARY KEY,
  upload_id TEXT,
  created_at INTEGER NOT NULL
);

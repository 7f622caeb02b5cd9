-- Storage lifecycle (issue 14): copies that are being deleted, and each
-- tenant's storage policy.
--
-- A copy is deleted in two phases: `deleting_at` is set in a transaction
-- that checks enough verified copies remain elsewhere, then the object is
-- deleted, then the row. Reads never choose a copy with `deleting_at` set;
-- a crash between the phases leaves the row for the next run to finish.
ALTER TABLE copies ADD COLUMN deleting_at INTEGER;
CREATE INDEX copies_deleting ON copies (deleting_at) WHERE deleting_at IS NOT NULL;

-- A tenant's storage policy; a tenant without a row follows the
-- configured default.
CREATE TABLE storage_policies (
    tenant_id         BLOB PRIMARY KEY REFERENCES tenants(id),
    -- Verified copies a recording must have at every moment.
    copies            INTEGER NOT NULL,
    -- JSON array of store names a copy is placed on, in preference order.
    stores            TEXT NOT NULL,
    -- Tiering: after `tier_after_days` days (of call time) the copy on
    -- `tier_from` moves to `tier_to`; no tiering while `tier_to` is NULL.
    tier_after_days   INTEGER NOT NULL DEFAULT 0,
    tier_from         TEXT,
    tier_to           TEXT,
    -- How long a recording may stay under-replicated before an alert.
    alert_after_secs  INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

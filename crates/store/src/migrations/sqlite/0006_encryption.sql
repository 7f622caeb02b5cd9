-- Encryption at rest. Master keys live in the configuration, never here:
-- the catalog keeps each key id with a check value (HMAC of a fixed text
-- under the key), so that start-up tells a wrong key from the right one.
-- Each encrypted recording's data key is stored wrapped by a master key,
-- written in the recording's commit transaction; rotation re-wraps it.
CREATE TABLE encryption_master_keys (
    id           TEXT PRIMARY KEY,
    check_value  TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE TABLE recording_keys (
    recording_id   BLOB PRIMARY KEY REFERENCES recordings(id),
    tenant_id      BLOB NOT NULL,
    master_key_id  TEXT NOT NULL REFERENCES encryption_master_keys(id),
    wrapped_key    BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    rewrapped_at   INTEGER
);
CREATE INDEX recording_keys_by_master ON recording_keys (master_key_id, recording_id);
-- Which tenants' new recordings are encrypted (no row: not encrypted).
CREATE TABLE tenant_encryption (
    tenant_id   BLOB PRIMARY KEY REFERENCES tenants(id),
    enabled     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

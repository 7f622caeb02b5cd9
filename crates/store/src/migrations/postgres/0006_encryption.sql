-- Encryption at rest. Master keys live in the configuration, never here:
-- the catalog keeps each key id with a check value (HMAC of a fixed text
-- under the key), so that start-up tells a wrong key from the right one.
-- Each encrypted recording's data key is stored wrapped by a master key,
-- written in the recording's commit transaction; rotation re-wraps it.
CREATE TABLE encryption_master_keys (
    id           TEXT PRIMARY KEY,
    check_value  TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE TABLE recording_keys (
    recording_id   UUID PRIMARY KEY REFERENCES recordings(id),
    tenant_id      UUID NOT NULL,
    master_key_id  TEXT NOT NULL REFERENCES encryption_master_keys(id),
    wrapped_key    BYTEA NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    rewrapped_at   TIMESTAMPTZ
);
CREATE INDEX recording_keys_by_master ON recording_keys (master_key_id, recording_id);
-- Which tenants' new recordings are encrypted (no row: not encrypted).
CREATE TABLE tenant_encryption (
    tenant_id   UUID PRIMARY KEY REFERENCES tenants(id),
    enabled     BOOLEAN NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

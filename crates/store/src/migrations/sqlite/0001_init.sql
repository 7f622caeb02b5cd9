-- callvault catalog, SQLite dialect. Times are microseconds since the Unix
-- epoch (INTEGER); ids are UUIDv7 as 16-byte BLOBs.
CREATE TABLE tenants (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id          BLOB PRIMARY KEY,
    tenant_id   BLOB REFERENCES tenants(id),
    role        TEXT NOT NULL CHECK (role IN ('admin', 'tenant')),
    label       TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER,
    CHECK ((role = 'admin') = (tenant_id IS NULL))
);

CREATE TABLE conversations (
    id               BLOB PRIMARY KEY,
    tenant_id        BLOB NOT NULL REFERENCES tenants(id),
    direction        TEXT NOT NULL,
    external_number  TEXT,
    company_number   TEXT,
    started_at       INTEGER NOT NULL,
    ended_at         INTEGER,
    recording_count  INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX conversations_by_time ON conversations (tenant_id, started_at DESC, id DESC);

CREATE TABLE conversation_external_ids (
    tenant_id        BLOB NOT NULL,
    kind             TEXT NOT NULL,
    value            TEXT NOT NULL,
    conversation_id  BLOB NOT NULL REFERENCES conversations(id),
    PRIMARY KEY (tenant_id, kind, value)
);
CREATE INDEX external_ids_by_value ON conversation_external_ids (tenant_id, value);
CREATE INDEX external_ids_by_conversation ON conversation_external_ids (conversation_id);

-- What a conversation can be searched by, each in the conversation's time
-- order: kind 'number' (the last 10 digits of every number on the call) and
-- 'participant' (each participant's address and display name). One index
-- range scan answers a search newest-first and stops at the page size.
CREATE TABLE conversation_keys (
    tenant_id        BLOB NOT NULL,
    kind             TEXT NOT NULL,
    value            TEXT NOT NULL,
    conversation_id  BLOB NOT NULL REFERENCES conversations(id),
    started_at       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, value, conversation_id)
);
CREATE INDEX conversation_keys_by_time
    ON conversation_keys (tenant_id, kind, value, started_at DESC, conversation_id DESC);
CREATE INDEX conversation_keys_by_conversation ON conversation_keys (conversation_id);

CREATE TABLE participants (
    id               BLOB PRIMARY KEY,
    tenant_id        BLOB NOT NULL,
    conversation_id  BLOB NOT NULL REFERENCES conversations(id),
    side             TEXT NOT NULL,
    address          TEXT,
    display_name     TEXT,
    joined_at        INTEGER NOT NULL,
    left_at          INTEGER
);
CREATE INDEX participants_by_conversation ON participants (conversation_id, joined_at);
CREATE INDEX participants_by_address ON participants (tenant_id, address);
CREATE INDEX participants_by_name ON participants (tenant_id, display_name);

CREATE TABLE recordings (
    id               BLOB PRIMARY KEY,
    tenant_id        BLOB NOT NULL REFERENCES tenants(id),
    conversation_id  BLOB NOT NULL REFERENCES conversations(id),
    participant_id   BLOB REFERENCES participants(id),
    idempotency_key  TEXT,
    -- sha256 of the audio's sha256 and the upload's metadata: the same
    -- upload twice, as opposed to the same bytes for another call.
    upload_key       TEXT NOT NULL,
    source           TEXT NOT NULL,
    format           TEXT NOT NULL,
    codec            TEXT NOT NULL,
    channels         INTEGER NOT NULL,
    sample_rate      INTEGER NOT NULL,
    duration_ms      INTEGER NOT NULL,
    size_bytes       INTEGER NOT NULL,
    sha256           TEXT NOT NULL,
    started_at       INTEGER NOT NULL,
    ended_at         INTEGER NOT NULL,
    object_key       TEXT NOT NULL,
    flags            TEXT NOT NULL DEFAULT '[]',
    created_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX recordings_by_idempotency ON recordings (tenant_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX recordings_by_upload ON recordings (tenant_id, upload_key);
CREATE INDEX recordings_by_sha ON recordings (tenant_id, sha256);
CREATE INDEX recordings_by_conversation ON recordings (conversation_id, started_at);

CREATE TABLE copies (
    id           BLOB PRIMARY KEY,
    tenant_id    BLOB NOT NULL,
    recording_id BLOB NOT NULL REFERENCES recordings(id),
    store        TEXT NOT NULL,
    object_key   TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    verified_at  INTEGER,
    UNIQUE (store, object_key)
);
CREATE INDEX copies_by_recording ON copies (recording_id);

CREATE TABLE pending_objects (
    store       TEXT NOT NULL,
    object_key  TEXT NOT NULL,
    owner       TEXT NOT NULL,
    tenant_id   BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (store, object_key)
);

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  BLOB,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_by_tenant ON audit_log (tenant_id, seq);

-- The audit log is append-only: the database refuses to change history.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

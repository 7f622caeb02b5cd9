-- callvault catalog, PostgreSQL dialect.
CREATE TABLE tenants (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id          UUID PRIMARY KEY,
    tenant_id   UUID REFERENCES tenants(id),
    role        TEXT NOT NULL CHECK (role IN ('admin', 'tenant')),
    label       TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    CHECK ((role = 'admin') = (tenant_id IS NULL))
);

CREATE TABLE conversations (
    id               UUID PRIMARY KEY,
    tenant_id        UUID NOT NULL REFERENCES tenants(id),
    direction        TEXT NOT NULL,
    external_number  TEXT,
    company_number   TEXT,
    started_at       TIMESTAMPTZ NOT NULL,
    ended_at         TIMESTAMPTZ,
    recording_count  INTEGER NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX conversations_by_time ON conversations (tenant_id, started_at DESC, id DESC);

CREATE TABLE conversation_external_ids (
    tenant_id        UUID NOT NULL,
    kind             TEXT NOT NULL,
    value            TEXT NOT NULL,
    conversation_id  UUID NOT NULL REFERENCES conversations(id),
    PRIMARY KEY (tenant_id, kind, value)
);
CREATE INDEX external_ids_by_value ON conversation_external_ids (tenant_id, value);
CREATE INDEX external_ids_by_conversation ON conversation_external_ids (conversation_id);

-- What a conversation can be searched by, each in the conversation's time
-- order: kind 'number' (the last 10 digits of every number on the call) and
-- 'participant' (each participant's address and display name). One index
-- range scan answers a search newest-first and stops at the page size.
CREATE TABLE conversation_keys (
    tenant_id        UUID NOT NULL,
    kind             TEXT NOT NULL,
    value            TEXT NOT NULL,
    conversation_id  UUID NOT NULL REFERENCES conversations(id),
    started_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, kind, value, conversation_id)
);
CREATE INDEX conversation_keys_by_time
    ON conversation_keys (tenant_id, kind, value, started_at DESC, conversation_id DESC);
CREATE INDEX conversation_keys_by_conversation ON conversation_keys (conversation_id);

CREATE TABLE participants (
    id               UUID PRIMARY KEY,
    tenant_id        UUID NOT NULL,
    conversation_id  UUID NOT NULL REFERENCES conversations(id),
    side             TEXT NOT NULL,
    address          TEXT,
    display_name     TEXT,
    joined_at        TIMESTAMPTZ NOT NULL,
    left_at          TIMESTAMPTZ
);
CREATE INDEX participants_by_conversation ON participants (conversation_id, joined_at);
CREATE INDEX participants_by_address ON participants (tenant_id, address);
CREATE INDEX participants_by_name ON participants (tenant_id, display_name);

CREATE TABLE recordings (
    id               UUID PRIMARY KEY,
    tenant_id        UUID NOT NULL REFERENCES tenants(id),
    conversation_id  UUID NOT NULL REFERENCES conversations(id),
    participant_id   UUID REFERENCES participants(id),
    idempotency_key  TEXT,
    -- sha256 of the audio's sha256 and the upload's metadata: the same
    -- upload twice, as opposed to the same bytes for another call.
    upload_key       TEXT NOT NULL,
    source           TEXT NOT NULL,
    format           TEXT NOT NULL,
    codec            TEXT NOT NULL,
    channels         INTEGER NOT NULL,
    sample_rate      INTEGER NOT NULL,
    duration_ms      BIGINT NOT NULL,
    size_bytes       BIGINT NOT NULL,
    sha256           TEXT NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    ended_at         TIMESTAMPTZ NOT NULL,
    object_key       TEXT NOT NULL,
    flags            JSONB NOT NULL DEFAULT '[]',
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX recordings_by_idempotency ON recordings (tenant_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX recordings_by_upload ON recordings (tenant_id, upload_key);
CREATE INDEX recordings_by_sha ON recordings (tenant_id, sha256);
CREATE INDEX recordings_by_conversation ON recordings (conversation_id, started_at);

CREATE TABLE copies (
    id           UUID PRIMARY KEY,
    tenant_id    UUID NOT NULL,
    recording_id UUID NOT NULL REFERENCES recordings(id),
    store        TEXT NOT NULL,
    object_key   TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    verified_at  TIMESTAMPTZ,
    UNIQUE (store, object_key)
);
CREATE INDEX copies_by_recording ON copies (recording_id);

CREATE TABLE pending_objects (
    store       TEXT NOT NULL,
    object_key  TEXT NOT NULL,
    owner       TEXT NOT NULL,
    tenant_id   UUID NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (store, object_key)
);

CREATE TABLE audit_log (
    seq        BIGSERIAL PRIMARY KEY,
    tenant_id  UUID,
    at         TIMESTAMPTZ NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_by_tenant ON audit_log (tenant_id, seq);

-- The audit log is append-only: the database refuses to change history.
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

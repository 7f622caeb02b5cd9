-- Retention, legal hold and the trash. PostgreSQL dialect.
--
-- A recording moved to the trash keeps its row and its objects: it is only
-- hidden (search, downloads, deliveries) until its grace period ends, and
-- a restore clears the mark. `trashed_by` names what trashed it
-- (`rule:<id>` or `key:<id>`, `cli`); `purging_at` is set once the purge
-- has begun deleting its objects (a restore is refused from then on, and
-- a purge that crashed resumes from it).
ALTER TABLE recordings ADD COLUMN trashed_at TIMESTAMPTZ;
ALTER TABLE recordings ADD COLUMN trashed_by TEXT;
ALTER TABLE recordings ADD COLUMN purging_at TIMESTAMPTZ;
CREATE INDEX recordings_trashed ON recordings (trashed_at) WHERE trashed_at IS NOT NULL;
CREATE INDEX recordings_by_tenant_time ON recordings (tenant_id, started_at, id);

-- A conversation is trashed when all its recordings are (or it was
-- deleted whole); it is hidden from search until restored.
ALTER TABLE conversations ADD COLUMN trashed_at TIMESTAMPTZ;
ALTER TABLE conversations ADD COLUMN trashed_by TEXT;
CREATE INDEX conversations_trashed ON conversations (trashed_at) WHERE trashed_at IS NOT NULL;

-- Delete recordings older than `days` (by the call's start), optionally
-- only of one direction, one number prefix, one source.
CREATE TABLE retention_rules (
    id             UUID PRIMARY KEY,
    tenant_id      UUID NOT NULL REFERENCES tenants(id),
    days           BIGINT NOT NULL CHECK (days > 0),
    direction      TEXT,
    number_prefix  TEXT,
    source         TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    created_by     TEXT NOT NULL
);
CREATE INDEX retention_rules_by_tenant ON retention_rules (tenant_id);

-- Legal holds: scope 'tenant' (everything of the tenant), 'conversation'
-- (conversation_id) or 'number' (number_tail: the last 10 digits, matched
-- against the conversation's indexed numbers). A hold in force
-- (released_at NULL) blocks every deletion.
CREATE TABLE legal_holds (
    id               UUID PRIMARY KEY,
    tenant_id        UUID NOT NULL REFERENCES tenants(id),
    scope            TEXT NOT NULL CHECK (scope IN ('tenant', 'conversation', 'number')),
    conversation_id  UUID,
    number_tail      TEXT,
    reason           TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    released_at      TIMESTAMPTZ,
    released_by      TEXT,
    CHECK ((scope = 'conversation') = (conversation_id IS NOT NULL)),
    CHECK ((scope = 'number') = (number_tail IS NOT NULL))
);
CREATE INDEX legal_holds_by_tenant ON legal_holds (tenant_id, released_at);

-- An operator's permission for the retention run of a tenant to trash more
-- than the mass-deletion guard allows, up to max_count recordings; used up
-- by the run that finishes with it.
CREATE TABLE retention_confirmations (
    tenant_id     UUID PRIMARY KEY REFERENCES tenants(id),
    max_count     BIGINT NOT NULL,
    confirmed_by  TEXT NOT NULL,
    confirmed_at  TIMESTAMPTZ NOT NULL
);

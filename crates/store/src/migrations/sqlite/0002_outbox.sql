-- The durable outbox: destinations, deliveries and their attempts, alerts,
-- named leases. SQLite dialect: times INTEGER microseconds, ids 16-byte
-- BLOBs, JSON as TEXT, booleans as INTEGER 0/1.
CREATE TABLE destinations (
    id               BLOB PRIMARY KEY,
    tenant_id        BLOB NOT NULL REFERENCES tenants(id),
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    enabled          INTEGER NOT NULL,
    disabled_reason  TEXT,
    events           TEXT NOT NULL DEFAULT '[]',
    config           TEXT NOT NULL DEFAULT '{}',
    secrets          TEXT NOT NULL DEFAULT '{}',
    filters          TEXT NOT NULL DEFAULT '{}',
    max_age_secs     INTEGER NOT NULL,
    link_ttl_secs    INTEGER NOT NULL,
    link_key         BLOB NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    deleted_at       INTEGER
);
-- A name is unique among the tenant's destinations that are not deleted.
CREATE UNIQUE INDEX destinations_live_name ON destinations (tenant_id, name)
    WHERE deleted_at IS NULL;

-- One open alert per scope (the tenant id, '' for the installation), kind
-- and subject; raising it again while open only counts.
CREATE TABLE alerts (
    id           BLOB PRIMARY KEY,
    tenant_id    BLOB REFERENCES tenants(id),
    scope        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    severity     TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
    message      TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '{}',
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    resolved_at  INTEGER
);
CREATE UNIQUE INDEX alerts_open ON alerts (scope, kind, subject) WHERE resolved_at IS NULL;
CREATE INDEX alerts_by_scope ON alerts (scope, last_seen DESC);
CREATE INDEX alerts_by_time ON alerts (last_seen DESC);

CREATE TABLE deliveries (
    id                BLOB PRIMARY KEY,
    tenant_id         BLOB NOT NULL REFERENCES tenants(id),
    destination_id    BLOB NOT NULL REFERENCES destinations(id),
    destination_kind  TEXT NOT NULL,
    event             TEXT NOT NULL,
    conversation_id   BLOB REFERENCES conversations(id),
    recording_id      BLOB REFERENCES recordings(id),
    alert_id          BLOB REFERENCES alerts(id),
    state             TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'retry_wait',
                          'delivered', 'verified', 'dead', 'no_match', 'skipped', 'cancelled')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    due_at            INTEGER NOT NULL,
    age_from          INTEGER NOT NULL,
    lease_owner       TEXT,
    lease_expires_at  INTEGER,
    last_error        TEXT,
    last_status       TEXT,
    progress          TEXT NOT NULL DEFAULT '{}',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    finished_at       INTEGER
);
-- The claim: what is due, oldest first; and leases of dead runners.
CREATE INDEX deliveries_due ON deliveries (state, due_at);
CREATE INDEX deliveries_leases ON deliveries (state, lease_expires_at);
CREATE INDEX deliveries_by_tenant ON deliveries (tenant_id, created_at DESC, id DESC);
CREATE INDEX deliveries_by_time ON deliveries (created_at DESC, id DESC);
CREATE INDEX deliveries_by_conversation ON deliveries (conversation_id);
CREATE INDEX deliveries_by_subject ON deliveries (destination_id, conversation_id, event);
-- One conversation.settled per destination and conversation, whatever races.
CREATE UNIQUE INDEX deliveries_one_settled ON deliveries (destination_id, conversation_id)
    WHERE event = 'conversation.settled';

CREATE TABLE delivery_attempts (
    delivery_id  BLOB NOT NULL REFERENCES deliveries(id),
    attempt      INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    outcome      TEXT NOT NULL,
    status       TEXT,
    error        TEXT,
    PRIMARY KEY (delivery_id, attempt)
);

-- Named leases: one holder at a time; an expired lease may be taken.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);

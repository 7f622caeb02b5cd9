-- The durable outbox: destinations, deliveries and their attempts, alerts,
-- named leases. PostgreSQL dialect.
CREATE TABLE destinations (
    id               UUID PRIMARY KEY,
    tenant_id        UUID NOT NULL REFERENCES tenants(id),
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    enabled          BOOLEAN NOT NULL,
    disabled_reason  TEXT,
    events           JSONB NOT NULL DEFAULT '[]',
    config           JSONB NOT NULL DEFAULT '{}',
    secrets          JSONB NOT NULL DEFAULT '{}',
    filters          JSONB NOT NULL DEFAULT '{}',
    max_age_secs     BIGINT NOT NULL,
    link_ttl_secs    BIGINT NOT NULL,
    link_key         BYTEA NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ
);
-- A name is unique among the tenant's destinations that are not deleted.
CREATE UNIQUE INDEX destinations_live_name ON destinations (tenant_id, name)
    WHERE deleted_at IS NULL;

-- One open alert per scope (the tenant id, '' for the installation), kind
-- and subject; raising it again while open only counts.
CREATE TABLE alerts (
    id           UUID PRIMARY KEY,
    tenant_id    UUID REFERENCES tenants(id),
    scope        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    severity     TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
    message      TEXT NOT NULL,
    detail       JSONB NOT NULL DEFAULT '{}',
    first_seen   TIMESTAMPTZ NOT NULL,
    last_seen    TIMESTAMPTZ NOT NULL,
    count        BIGINT NOT NULL,
    resolved_at  TIMESTAMPTZ
);
CREATE UNIQUE INDEX alerts_open ON alerts (scope, kind, subject) WHERE resolved_at IS NULL;
CREATE INDEX alerts_by_scope ON alerts (scope, last_seen DESC);
CREATE INDEX alerts_by_time ON alerts (last_seen DESC);

CREATE TABLE deliveries (
    id                UUID PRIMARY KEY,
    tenant_id         UUID NOT NULL REFERENCES tenants(id),
    destination_id    UUID NOT NULL REFERENCES destinations(id),
    destination_kind  TEXT NOT NULL,
    event             TEXT NOT NULL,
    conversation_id   UUID REFERENCES conversations(id),
    recording_id      UUID REFERENCES recordings(id),
    alert_id          UUID REFERENCES alerts(id),
    state             TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'retry_wait',
                          'delivered', 'verified', 'dead', 'no_match', 'skipped', 'cancelled')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    due_at            TIMESTAMPTZ NOT NULL,
    age_from          TIMESTAMPTZ NOT NULL,
    lease_owner       TEXT,
    lease_expires_at  TIMESTAMPTZ,
    last_error        TEXT,
    last_status       TEXT,
    progress          JSONB NOT NULL DEFAULT '{}',
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ
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
    delivery_id  UUID NOT NULL REFERENCES deliveries(id),
    attempt      INTEGER NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    outcome      TEXT NOT NULL,
    status       TEXT,
    error        TEXT,
    PRIMARY KEY (delivery_id, attempt)
);

-- Named leases: one holder at a time; an expired lease may be taken.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);

-- Console sessions (issue 16). PostgreSQL dialect.
--
-- A web console sign-in exchanges an API key for a session cookie. The
-- row keeps the sha256 of the cookie's token (never the token, never the
-- key), the key it was made from (its revocation ends the session), the
-- tenant the session acts as (the key's own; for an admin key the tenant
-- it switched to, or none), the CSRF token, and two ends: the sliding
-- idle one and the absolute one. Expired rows are purged.
CREATE TABLE console_sessions (
    id               TEXT PRIMARY KEY,
    api_key_id       UUID NOT NULL REFERENCES api_keys(id),
    tenant_id        UUID REFERENCES tenants(id),
    csrf_token       TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    last_seen_at     TIMESTAMPTZ NOT NULL,
    idle_expires_at  TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX console_sessions_by_key ON console_sessions (api_key_id);

-- Console sessions (issue 16). SQLite dialect.
--
-- A web console sign-in exchanges an API key for a session cookie. The
-- row keeps the sha256 of the cookie's token (never the token, never the
-- key), the key it was made from (its revocation ends the session), the
-- tenant the session acts as (the key's own; for an admin key the tenant
-- it switched to, or none), the CSRF token, and two ends: the sliding
-- idle one and the absolute one. Expired rows are purged.
CREATE TABLE console_sessions (
    id               TEXT PRIMARY KEY,
    api_key_id       BLOB NOT NULL REFERENCES api_keys(id),
    tenant_id        BLOB REFERENCES tenants(id),
    csrf_token       TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL,
    idle_expires_at  INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL
);
CREATE INDEX console_sessions_by_key ON console_sessions (api_key_id);

-- Assurance: the call register and the findings of its reconciliation.
-- SQLite dialect.
--
-- A call is registered by a source other than the recorder's own output
-- (a PBX's CDR, capture or SIPREC signalling); each answered call is
-- checked once it settled (next_check_at), and again while it lacks
-- something or a delivery is still retrying. recorded/copies/delivered are
-- the last check's verdicts (1/0), valid once checked_at is set.
CREATE TABLE calls (
    id               BLOB PRIMARY KEY,
    tenant_id        BLOB NOT NULL REFERENCES tenants(id),
    source           TEXT NOT NULL,
    leg_key          TEXT NOT NULL,
    ids              TEXT NOT NULL DEFAULT '[]',
    caller           TEXT,
    callee           TEXT,
    caller_tail      TEXT,
    callee_tail      TEXT,
    started_at       INTEGER NOT NULL,
    answered_at      INTEGER,
    ended_at         INTEGER NOT NULL,
    talk_secs        INTEGER NOT NULL,
    disposition      TEXT NOT NULL,
    conversation_id  BLOB REFERENCES conversations(id),
    no_audio_reason  TEXT,
    recorded         INTEGER NOT NULL DEFAULT 0,
    copies           INTEGER NOT NULL DEFAULT 0,
    delivered        INTEGER NOT NULL DEFAULT 0,
    checked_at       INTEGER,
    next_check_at    INTEGER,
    created_at       INTEGER NOT NULL
);
-- Importing the same leg twice changes nothing.
CREATE UNIQUE INDEX calls_by_leg ON calls (tenant_id, source, leg_key);
CREATE INDEX calls_by_answer ON calls (tenant_id, answered_at);
CREATE INDEX calls_answered ON calls (answered_at);
-- The reconciliation's queue: due calls, earliest first.
CREATE INDEX calls_due ON calls (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX calls_by_conversation ON calls (conversation_id) WHERE conversation_id IS NOT NULL;

-- What a call or a recording lacks. One open finding per subject (the call
-- or the recording) and kind; a finding fixed later is resolved, with when
-- and why, never deleted.
CREATE TABLE findings (
    id               BLOB PRIMARY KEY,
    tenant_id        BLOB NOT NULL REFERENCES tenants(id),
    subject_id       BLOB NOT NULL,
    call_id          BLOB REFERENCES calls(id),
    recording_id     BLOB REFERENCES recordings(id),
    conversation_id  BLOB REFERENCES conversations(id),
    kind             TEXT NOT NULL CHECK (kind IN ('missing', 'incomplete', 'under_replicated',
                         'undelivered', 'orphan_recording')),
    reason           TEXT NOT NULL,
    detail           TEXT NOT NULL DEFAULT '{}',
    first_seen       INTEGER NOT NULL,
    last_seen        INTEGER NOT NULL,
    resolved_at      INTEGER,
    resolution       TEXT,
    CHECK ((call_id IS NULL) <> (recording_id IS NULL))
);
CREATE UNIQUE INDEX findings_open ON findings (subject_id, kind) WHERE resolved_at IS NULL;
CREATE INDEX findings_by_time ON findings (tenant_id, first_seen DESC, id DESC);
CREATE INDEX findings_all_by_time ON findings (first_seen DESC, id DESC);
CREATE INDEX findings_by_conversation ON findings (conversation_id) WHERE conversation_id IS NOT NULL;
CREATE INDEX findings_open_by_kind ON findings (tenant_id, kind) WHERE resolved_at IS NULL;

-- Where the incremental passes stand (the orphan scan per tenant, the
-- register of captured calls, the daily report per tenant).
CREATE TABLE assurance_cursors (
    name  TEXT PRIMARY KEY,
    at    INTEGER NOT NULL,
    id    BLOB
);

-- Capacity and scrubbing. SQLite dialect.
--
-- One sample per store, scope and UTC day of the bytes its copies take: the
-- growth rate and the forecast of days until full are computed from them.
-- scope is '' for the whole store, else a tenant's id.
CREATE TABLE storage_samples (
    store       TEXT NOT NULL,
    scope       TEXT NOT NULL,
    day         TEXT NOT NULL,
    used_bytes  INTEGER NOT NULL,
    copies      INTEGER NOT NULL,
    sampled_at  INTEGER NOT NULL,
    PRIMARY KEY (store, scope, day)
);

-- A scrubber's pass over one store's copies, in object key order: its
-- cursor (the last key checked) makes a restarted process resume it, and
-- its counters are the report of `callvault scrub --report`.
CREATE TABLE scrub_runs (
    id              BLOB PRIMARY KEY,
    store           TEXT NOT NULL,
    started_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    finished_at     INTEGER,
    cursor          TEXT NOT NULL DEFAULT '',
    total_copies    INTEGER NOT NULL DEFAULT 0,
    copies_checked  INTEGER NOT NULL DEFAULT 0,
    bytes_checked   INTEGER NOT NULL DEFAULT 0,
    damaged         INTEGER NOT NULL DEFAULT 0,
    missing         INTEGER NOT NULL DEFAULT 0,
    repaired        INTEGER NOT NULL DEFAULT 0,
    unrepairable    INTEGER NOT NULL DEFAULT 0,
    busy_ms         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scrub_runs_by_store ON scrub_runs (store, started_at);
-- At most one unfinished pass per store.
CREATE UNIQUE INDEX scrub_runs_open ON scrub_runs (store) WHERE finished_at IS NULL;

-- What a pass found wrong with a copy, and what became of it.
CREATE TABLE scrub_findings (
    run_id        BLOB NOT NULL REFERENCES scrub_runs(id),
    copy_id       BLOB NOT NULL,
    tenant_id     BLOB NOT NULL,
    recording_id  BLOB NOT NULL,
    store         TEXT NOT NULL,
    object_key    TEXT NOT NULL,
    problem       TEXT NOT NULL CHECK (problem IN ('missing', 'damaged')),
    outcome       TEXT NOT NULL CHECK (outcome IN ('repaired', 'unrepairable')),
    detail        TEXT NOT NULL DEFAULT '',
    found_at      INTEGER NOT NULL
);
CREATE INDEX scrub_findings_by_run ON scrub_findings (run_id);

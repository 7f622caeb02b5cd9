-- What happened on a conversation besides who was on it: DTMF digits
-- received (RFC 4733), media gaps (the SRC sent no RTP for a while before
-- the session ended), a session that brought no decodable media. Written
-- in the transaction of the recording they belong to; recording_id NULL
-- for a session stored without a recording. SQLite dialect.
CREATE TABLE conversation_events (
    id               BLOB PRIMARY KEY,
    tenant_id        BLOB NOT NULL,
    conversation_id  BLOB NOT NULL REFERENCES conversations(id),
    recording_id     BLOB REFERENCES recordings(id),
    participant_id   BLOB REFERENCES participants(id),
    at               INTEGER NOT NULL,
    kind             TEXT NOT NULL,
    detail           TEXT NOT NULL DEFAULT '{}',
    -- A recording-less session's key: storing that session again (a retry,
    -- recovery after a crash) finds it instead of writing it twice.
    session_key      TEXT
);
CREATE INDEX conversation_events_by_conversation ON conversation_events (conversation_id, at);
CREATE UNIQUE INDEX conversation_events_by_session_key ON conversation_events (tenant_id, session_key)
    WHERE session_key IS NOT NULL;

-- A conversation key (a SIPREC group, a Cisco GUID) that an SBC reuses for
-- an unrelated call later: each reuse after the rejoin window is a new
-- generation of the key, pointing at a new conversation. The newest
-- generation is the one new recordings join; older conversations keep
-- their key. Two writers starting the same generation collide on the
-- primary key, so one call still never becomes two conversations.
-- SQLite cannot change a primary key in place: the table is rebuilt.
CREATE TABLE conversation_external_ids_v2 (
    tenant_id        BLOB NOT NULL,
    kind             TEXT NOT NULL,
    value            TEXT NOT NULL,
    conversation_id  BLOB NOT NULL REFERENCES conversations(id),
    generation       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, kind, value, generation)
);
INSERT INTO conversation_external_ids_v2 (tenant_id, kind, value, conversation_id, generation)
    SELECT tenant_id, kind, value, conversation_id, 0 FROM conversation_external_ids;
DROP TABLE conversation_external_ids;
ALTER TABLE conversation_external_ids_v2 RENAME TO conversation_external_ids;
CREATE INDEX external_ids_by_value ON conversation_external_ids (tenant_id, value);
CREATE INDEX external_ids_by_conversation ON conversation_external_ids (conversation_id);

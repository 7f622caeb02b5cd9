-- A conversation key (a SIPREC group, a Cisco GUID) that an SBC reuses for
-- an unrelated call later: each reuse after the rejoin window is a new
-- generation of the key, pointing at a new conversation. The newest
-- generation is the one new recordings join; older conversations keep
-- their key. Two writers starting the same generation collide on the
-- primary key, so one call still never becomes two conversations.
ALTER TABLE conversation_external_ids ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversation_external_ids DROP CONSTRAINT conversation_external_ids_pkey;
ALTER TABLE conversation_external_ids ADD PRIMARY KEY (tenant_id, kind, value, generation);

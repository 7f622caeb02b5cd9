-- The console's flag search (issue 16): a conversation's flags are search
-- keys like its numbers (`conversation_keys`, kind `flag`), so a flag search
-- reads one index range newest first and stops at the page, however rare
-- the other filters make its matches. Kept by the catalog in the
-- transactions that change a flag; here, what exists already.
INSERT INTO conversation_keys (tenant_id, kind, value, conversation_id, started_at)
SELECT DISTINCT c.tenant_id, 'flag', 'cut_by_crash', c.id, c.started_at
FROM recordings r JOIN conversations c ON c.id = r.conversation_id
WHERE CAST(r.flags AS TEXT) LIKE '%"cut_by_crash"%' AND r.trashed_at IS NULL
ON CONFLICT DO NOTHING;

INSERT INTO conversation_keys (tenant_id, kind, value, conversation_id, started_at)
SELECT DISTINCT c.tenant_id, 'flag', f.kind, c.id, c.started_at
FROM findings f JOIN conversations c ON c.id = f.conversation_id
WHERE f.resolved_at IS NULL AND f.kind IN ('incomplete', 'undelivered')
ON CONFLICT DO NOTHING;

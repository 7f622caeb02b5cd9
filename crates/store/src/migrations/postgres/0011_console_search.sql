-- The console's search (issue 16): conversations with a recording cut by a
-- crash are found from this partial index (few rows) instead of scanning
-- every recording's flags. The predicate is the search's literal term
-- (JSONB's text form quotes each element as SQLite's TEXT does).
CREATE INDEX recordings_cut_by_crash ON recordings (tenant_id, conversation_id)
    WHERE CAST(flags AS TEXT) LIKE '%"cut_by_crash"%' AND trashed_at IS NULL;

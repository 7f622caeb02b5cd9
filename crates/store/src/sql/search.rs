//! Reads of conversations and recordings: the search, one conversation with
//! everything in it, one recording.

use std::collections::{BTreeSet, HashMap};

use callvault_model::*;
use uuid::Uuid;

use super::Dialect;
use super::error::Result;
use super::rows::{self, PARTICIPANT_COLUMNS, RECORDING_COLUMNS};
use super::stmt::{SqlConn, SqlRow, Stmt, sql};
use crate::catalog::{
    CatalogError, ConversationDetail, ConversationFlag, ConversationQuery, ConversationSummary,
    Cursor, Page, RecordingWithCopies, number_tail,
};

/// The largest page a search returns.
const MAX_PAGE: u32 = 1000;

/// How many rows of its driving index (search keys or time index) a search
/// checks one by one for a page when filters beyond the driver leave only
/// some of them. A combination that almost nothing matches would otherwise
/// read the index back to its start for one page: the search stops here,
/// answers the matches found so far with the cursor of the last row it
/// checked, and the next page goes on from there. Bounded work per page,
/// at any catalog size: at about 5 to 8 µs a row checked, well inside the
/// catalog's 50 ms search budget.
const SCAN_BUDGET: i64 = 3000;

pub(crate) async fn conversations<D: Dialect>(
    db: &D,
    tenant: TenantId,
    query: &ConversationQuery,
) -> Result<Page<ConversationSummary>> {
    let limit = query.limit.clamp(1, MAX_PAGE);
    let plan = plan(query)?;
    let mut pooled = db.read().await?;
    // One read transaction: the page and its details from one snapshot, and
    // the dialect's search settings local to it.
    let mut conn = sqlx::Connection::begin(&mut *pooled).await?;
    for setting in D::SEARCH_SETTINGS {
        sql(*setting).execute(&mut *conn).await?;
    }
    // Where a search that checks rows one by one stops for this page: the
    // SCAN_BUDGET-th row of its driver (an index-only read); none when the
    // driver has fewer rows left or every filter is in the driver itself.
    let bound = if plan.keys_only {
        None
    } else {
        match scan_bound_statement(tenant, query, &plan).fetch_optional(&mut *conn).await? {
            Some(row) => Some(Cursor {
                started_at: row.time("started_at")?,
                id: ConversationId(row.uuid("id")?),
            }),
            None => None,
        }
    };
    let stmt = search_statement(tenant, query, &plan, limit, bound.as_ref());
    let rows = stmt.fetch_all(&mut *conn).await?;
    let page = &rows[..rows.len().min(limit as usize)];
    let ids: Vec<Uuid> = page.iter().map(|r| r.uuid("id")).collect::<Result<_, _>>()?;
    let mut external_ids = external_ids_of(&mut *conn, &ids).await?;
    let mut facets = facets_of(&mut *conn, tenant, &ids).await?;
    let mut items = Vec::with_capacity(page.len());
    for row in page {
        let id = row.uuid("id")?;
        let facet = facets.remove(&id).unwrap_or_default();
        items.push(ConversationSummary {
            conversation: rows::conversation(row, external_ids.remove(&id).unwrap_or_default())?,
            recording_count: u32::try_from(row.i32("recording_count")?).unwrap_or(0),
            participant_count: u32::try_from(row.i64("participant_count")?).unwrap_or(0),
            duration_ms: facet.duration_ms,
            sources: facet.sources,
            flags: facet.flags.into_iter().collect(),
        });
    }
    conn.commit().await?;
    // One row more than the page was asked for: there is a next page, after
    // its last item. A page cut short by the scan budget goes on after the
    // last row checked, and says how far back it searched.
    let (next, searched_back_to) = if rows.len() > page.len() {
        let last = items
            .last()
            .map(|s| Cursor { started_at: s.conversation.started_at, id: s.conversation.id });
        (last, None)
    } else if let Some(bound) = bound {
        let at = bound.started_at;
        (Some(bound), Some(at))
    } else {
        (None, None)
    };
    Ok(Page { items, next, searched_back_to })
}

/// The recording flag the `cut_by_crash` filter matches, as one literal
/// term: the partial index `recordings_cut_by_crash` (migration 0011) has
/// exactly this predicate, so both planners can use it. `flags` is a JSON
/// array of strings (TEXT in SQLite, JSONB in PostgreSQL, whose text form
/// also quotes each element).
fn cut_by_crash(qualifier: &str) -> String {
    format!("CAST({qualifier}flags AS TEXT) LIKE '%\"cut_by_crash\"%'")
}

/// The search-key kind of a conversation's flags: `conversation_keys` rows
/// (`flag`, `cut_by_crash` | `incomplete` | `undelivered`) kept by
/// [`sync_flag_keys`], so that a flag search reads one index range in time
/// order, as a number search does.
const FLAG_KEY: &str = "flag";

/// Makes a conversation's flag keys what its live recordings and open
/// findings say now: called in the transaction that changes either (a
/// recording stored cut by a crash, trashed or restored; a finding opened
/// or resolved). Idempotent.
pub(crate) async fn sync_flag_keys(conn: &mut impl SqlConn, conversation: Uuid) -> Result<()> {
    sql("DELETE FROM conversation_keys WHERE conversation_id = $1 AND kind = $2")
        .bind(conversation)
        .bind(FLAG_KEY)
        .execute(&mut *conn)
        .await?;
    sql(format!(
        "INSERT INTO conversation_keys (tenant_id, kind, value, conversation_id, started_at) \
         SELECT c.tenant_id, $2, $3, c.id, c.started_at FROM conversations c WHERE c.id = $1 \
         AND EXISTS (SELECT 1 FROM recordings r WHERE r.conversation_id = c.id \
         AND r.trashed_at IS NULL AND {}) ON CONFLICT DO NOTHING",
        cut_by_crash("r.")
    ))
    .bind(conversation)
    .bind(FLAG_KEY)
    .bind(ConversationFlag::CutByCrash.as_str())
    .execute(&mut *conn)
    .await?;
    sql("INSERT INTO conversation_keys (tenant_id, kind, value, conversation_id, started_at) \
         SELECT DISTINCT c.tenant_id, $2, f.kind, c.id, c.started_at FROM findings f \
         CROSS JOIN conversations c WHERE f.conversation_id = $1 AND c.id = $1 \
         AND f.resolved_at IS NULL AND f.kind IN ($3, $4) ON CONFLICT DO NOTHING")
    .bind(conversation)
    .bind(FLAG_KEY)
    .bind(ConversationFlag::Incomplete.as_str())
    .bind(ConversationFlag::Undelivered.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What drives a search: the row source read in newest-first order (or
/// whose matches are few enough to sort).
enum Driver {
    /// A `conversation_keys` kind and value (in time order).
    Key(&'static str, String),
    /// The conversations' time index.
    Time,
}

/// What a query reads: its number key, its driver, and whether the driver
/// alone decides (no filter checked row by row).
struct Plan {
    tail: Option<String>,
    driver: Driver,
    keys_only: bool,
}

fn plan(query: &ConversationQuery) -> Result<Plan> {
    let tail = match &query.number {
        Some(number) => Some(number_tail(number).ok_or_else(|| CatalogError::Invalid {
            what: "number",
            reason: "has no digits".into(),
        })?),
        None => None,
    };
    if let (Some(min), Some(max)) = (query.min_duration_ms, query.max_duration_ms)
        && min > max
    {
        return Err(CatalogError::Invalid {
            what: "duration",
            reason: "the minimum is above the maximum".into(),
        }
        .into());
    }
    // A number, participant or flag filter drives the query from the search
    // keys, already in time order; otherwise the time index of the
    // conversations does.
    let driver = match (&tail, &query.participant, query.flag) {
        (Some(tail), _, _) => Driver::Key("number", tail.clone()),
        (None, Some(who), _) => Driver::Key("participant", who.clone()),
        (None, None, Some(flag)) => Driver::Key(FLAG_KEY, flag.as_str().to_owned()),
        (None, None, None) => Driver::Time,
    };
    let flag_drives = matches!(driver, Driver::Key(FLAG_KEY, _));
    // With no filter beyond the driver, time range and cursor, the page is
    // cut from the driving index alone. Otherwise rows are checked one by
    // one in the index's order, within the scan budget.
    let keys_only = query.external_id.is_none()
        && query.has_recording.is_none()
        && !(tail.is_some() && query.participant.is_some())
        && query.direction.is_none()
        && query.source.is_none()
        && query.min_duration_ms.is_none()
        && query.max_duration_ms.is_none()
        && (query.flag.is_none() || flag_drives);
    Ok(Plan { tail, driver, keys_only })
}

impl Plan {
    /// The driving index's time and id columns in the search statement.
    fn order_columns(&self) -> (&'static str, &'static str) {
        match self.driver {
            Driver::Key(..) => ("k.started_at", "k.conversation_id"),
            Driver::Time => ("c.started_at", "c.id"),
        }
    }

    fn flag_drives(&self) -> bool {
        matches!(self.driver, Driver::Key(FLAG_KEY, _))
    }
}

/// The driver's SCAN_BUDGET-th row from where the page starts (time range
/// and cursor applied), read from the index alone; trashed conversations
/// count, as the search checks them too.
fn scan_bound_statement(tenant: TenantId, query: &ConversationQuery, plan: &Plan) -> Stmt {
    let mut stmt = match &plan.driver {
        Driver::Key(kind, value) => {
            let mut stmt = sql(
                "SELECT started_at, conversation_id AS id FROM conversation_keys WHERE tenant_id = ",
            );
            stmt.push_bind(tenant.0)
                .push(" AND kind = ")
                .push_bind(*kind)
                .push(" AND value = ")
                .push_bind(value);
            push_time_and_cursor(&mut stmt, query, "started_at", "conversation_id");
            stmt.push(" ORDER BY started_at DESC, conversation_id DESC");
            stmt
        }
        Driver::Time => {
            let mut stmt = sql("SELECT started_at, id FROM conversations WHERE tenant_id = ");
            stmt.push_bind(tenant.0);
            push_time_and_cursor(&mut stmt, query, "started_at", "id");
            stmt.push(" ORDER BY started_at DESC, id DESC");
            stmt
        }
    };
    stmt.push(" LIMIT 1 OFFSET ").push_bind(SCAN_BUDGET - 1);
    stmt
}

/// The search as one statement, newest first, one row past the page, and
/// not past `bound` (the last row the scan budget allows).
fn search_statement(
    tenant: TenantId,
    query: &ConversationQuery,
    plan: &Plan,
    limit: u32,
    bound: Option<&Cursor>,
) -> Stmt {
    let (time_col, id_col) = plan.order_columns();
    let flag_drives = plan.flag_drives();
    let keys_only = plan.keys_only;
    let tail = &plan.tail;
    let mut stmt = sql(
        "SELECT c.id, c.tenant_id, c.direction, c.external_number, c.company_number, c.started_at, \
         c.ended_at, c.recording_count, c.created_at, c.updated_at, \
         (SELECT COUNT(*) FROM participants p WHERE p.conversation_id = c.id) AS participant_count ",
    );
    match &plan.driver {
        Driver::Key(kind, value) if keys_only => {
            stmt.push("FROM (SELECT conversation_id, started_at FROM conversation_keys WHERE tenant_id = ")
                .push_bind(tenant.0)
                .push(" AND kind = ")
                .push_bind(*kind)
                .push(" AND value = ")
                .push_bind(value);
            push_time_and_cursor(&mut stmt, query, "started_at", "conversation_id");
            // Trashed conversations are skipped before the page is cut.
            stmt.push(
                " AND NOT EXISTS (SELECT 1 FROM conversations tc WHERE \
                 tc.id = conversation_keys.conversation_id AND tc.trashed_at IS NOT NULL)",
            );
            stmt.push(" ORDER BY started_at DESC, conversation_id DESC LIMIT ")
                .push_bind(i64::from(limit) + 1)
                .push(") k CROSS JOIN conversations c WHERE c.id = k.conversation_id AND c.tenant_id = ")
                .push_bind(tenant.0);
        }
        Driver::Key(kind, value) => {
            // CROSS JOIN fixes the join order in SQLite (keys first);
            // PostgreSQL plans it as an inner join.
            stmt.push("FROM conversation_keys k CROSS JOIN conversations c WHERE k.tenant_id = ")
                .push_bind(tenant.0)
                .push(" AND k.kind = ")
                .push_bind(*kind)
                .push(" AND k.value = ")
                .push_bind(value)
                .push(" AND c.id = k.conversation_id AND c.tenant_id = ")
                .push_bind(tenant.0);
            push_time_and_cursor(&mut stmt, query, time_col, id_col);
        }
        Driver::Time => {
            stmt.push("FROM conversations c WHERE c.tenant_id = ").push_bind(tenant.0);
            push_time_and_cursor(&mut stmt, query, time_col, id_col);
        }
    }
    if let (Some(_), Some(who)) = (&tail, &query.participant) {
        stmt.push(" AND c.id IN (SELECT conversation_id FROM conversation_keys WHERE tenant_id = ")
            .push_bind(tenant.0)
            .push(" AND kind = 'participant' AND value = ")
            .push_bind(who)
            .push(")");
    }
    if let Some((kind, value)) = &query.external_id {
        stmt.push(" AND c.id IN (SELECT conversation_id FROM conversation_external_ids WHERE tenant_id = ")
            .push_bind(tenant.0);
        if let Some(kind) = kind {
            stmt.push(" AND kind = ").push_bind(kind);
        }
        stmt.push(" AND value = ").push_bind(value).push(")");
    }
    // The trash is hidden from search.
    stmt.push(" AND c.trashed_at IS NULL");
    match query.has_recording {
        Some(true) => {
            stmt.push(" AND c.recording_count > 0");
        }
        Some(false) => {
            stmt.push(" AND c.recording_count = 0");
        }
        None => {}
    }
    if let Some(bound) = bound {
        // At or before the bound in the scan's order (newest first).
        push_position(&mut stmt, time_col, id_col, bound, Side::UpToAndIncluding);
    }
    push_facet_filters(&mut stmt, tenant, query, flag_drives);
    stmt.push(&format!(" ORDER BY {time_col} DESC, {id_col} DESC LIMIT "))
        .push_bind(i64::from(limit) + 1);
    stmt
}

/// Direction, source, duration and (unless it drives) flag, each checked
/// on the driving rows through the per-conversation indexes: the scan in
/// time order stops once the page is full.
fn push_facet_filters(
    stmt: &mut Stmt,
    tenant: TenantId,
    query: &ConversationQuery,
    flag_drives: bool,
) {
    if let Some(direction) = query.direction {
        stmt.push(" AND c.direction = ").push_bind(direction.as_str());
    }
    // Live recordings of the conversation, as the start of a subquery.
    let live = |stmt: &mut Stmt| {
        stmt.push(" AND EXISTS (SELECT 1 FROM recordings r WHERE r.conversation_id = c.id AND r.tenant_id = ")
            .push_bind(tenant.0)
            .push(" AND r.trashed_at IS NULL");
    };
    // The flag first: rarer than a source or a duration, it rejects most
    // rows with one probe.
    match (query.flag, flag_drives) {
        (Some(_), true) | (None, _) => {}
        (Some(ConversationFlag::CutByCrash), _) => {
            live(stmt);
            stmt.push(&format!(" AND {})", cut_by_crash("r.")));
        }
        (Some(flag), _) => {
            stmt.push(" AND EXISTS (SELECT 1 FROM findings fd WHERE fd.conversation_id = c.id AND fd.tenant_id = ")
                .push_bind(tenant.0)
                .push(" AND fd.kind = ")
                .push_bind(flag.as_str())
                .push(" AND fd.resolved_at IS NULL)");
        }
    }
    if let Some(source) = query.source {
        live(stmt);
        stmt.push(" AND r.source = ").push_bind(source.as_str()).push(")");
    }
    // The longest recording is at least `min`: one of them is.
    if let Some(min) = query.min_duration_ms {
        live(stmt);
        stmt.push(" AND r.duration_ms >= ").push_bind(clamp_i64(min)).push(")");
    }
    // The longest recording is at most `max` (none: no match).
    if let Some(max) = query.max_duration_ms {
        stmt.push(
            " AND (SELECT MAX(r.duration_ms) FROM recordings r WHERE r.conversation_id = c.id \
             AND r.tenant_id = ",
        )
        .push_bind(tenant.0)
        .push(" AND r.trashed_at IS NULL) <= ")
        .push_bind(clamp_i64(max));
    }
}

fn clamp_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// What a result row shows beyond the conversation: its longest live
/// recording, their sources and its flags.
#[derive(Default)]
struct Facets {
    duration_ms: u64,
    sources: Vec<RecordingSource>,
    flags: BTreeSet<ConversationFlag>,
}

/// The [`Facets`] of each of `ids`, from their live recordings and open
/// findings: two statements for a whole page.
async fn facets_of(
    conn: &mut impl SqlConn,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Facets>> {
    let mut map: HashMap<Uuid, Facets> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    let mut stmt = sql("SELECT conversation_id, source, duration_ms, flags FROM recordings \
                        WHERE trashed_at IS NULL AND tenant_id = ");
    stmt.push_bind(tenant.0).push(" AND conversation_id IN (");
    stmt.push_list(ids.iter().copied()).push(")");
    for row in stmt.fetch_all(&mut *conn).await? {
        let facet = map.entry(row.uuid("conversation_id")?).or_default();
        facet.duration_ms =
            facet.duration_ms.max(u64::try_from(row.i64("duration_ms")?).unwrap_or(0));
        let source: RecordingSource = parse_source(&row.text("source")?)?;
        if !facet.sources.contains(&source) {
            facet.sources.push(source);
        }
        let flags: Vec<String> = row.json("flags")?;
        if flags.iter().any(|f| f == ConversationFlag::CutByCrash.as_str()) {
            facet.flags.insert(ConversationFlag::CutByCrash);
        }
    }
    for facet in map.values_mut() {
        facet.sources.sort_by_key(|s| SOURCE_ORDER.iter().position(|o| o == s));
    }
    let mut stmt = sql("SELECT DISTINCT conversation_id, kind FROM findings \
                        WHERE resolved_at IS NULL AND kind IN ('incomplete', 'undelivered') \
                        AND tenant_id = ");
    stmt.push_bind(tenant.0).push(" AND conversation_id IN (");
    stmt.push_list(ids.iter().copied()).push(")");
    for row in stmt.fetch_all(conn).await? {
        if let Some(flag) = ConversationFlag::parse(&row.text("kind")?) {
            map.entry(row.uuid("conversation_id")?).or_default().flags.insert(flag);
        }
    }
    Ok(map)
}

/// The order sources are listed in.
const SOURCE_ORDER: [RecordingSource; 4] = [
    RecordingSource::Upload,
    RecordingSource::Import,
    RecordingSource::Capture,
    RecordingSource::Siprec,
];

fn parse_source(s: &str) -> Result<RecordingSource> {
    s.parse().map_err(|_| {
        CatalogError::Invalid { what: "recording source", reason: format!("unknown: {s}") }.into()
    })
}

/// The time range and the cursor, on the driving table's columns.
fn push_time_and_cursor(stmt: &mut Stmt, query: &ConversationQuery, time_col: &str, id_col: &str) {
    if let Some(from) = query.from {
        stmt.push(&format!(" AND {time_col} >= ")).push_bind(from);
    }
    if let Some(to) = query.to {
        stmt.push(&format!(" AND {time_col} < ")).push_bind(to);
    }
    if let Some(after) = &query.after {
        push_position(stmt, time_col, id_col, after, Side::After);
    }
}

/// Which rows of the newest-first order [`push_position`] keeps.
enum Side {
    /// Strictly after the position (older, or as old with a smaller id).
    After,
    /// Up to the position, itself included.
    UpToAndIncluding,
}

/// Rows on one side of a (start time, id) position in the search's
/// newest-first order.
fn push_position(stmt: &mut Stmt, time_col: &str, id_col: &str, at: &Cursor, side: Side) {
    let (time_op, id_op) = match side {
        Side::After => ("<", "<"),
        Side::UpToAndIncluding => (">", ">="),
    };
    stmt.push(&format!(" AND ({time_col} {time_op} "))
        .push_bind(at.started_at)
        .push(&format!(" OR ({time_col} = "))
        .push_bind(at.started_at)
        .push(&format!(" AND {id_col} {id_op} "))
        .push_bind(at.id.0)
        .push("))");
}

/// The external ids of each of `ids`, ordered by kind and value.
async fn external_ids_of(
    conn: &mut impl SqlConn,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<ExternalId>>> {
    let mut map: HashMap<Uuid, Vec<ExternalId>> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    let mut stmt = sql(
        "SELECT conversation_id, kind, value FROM conversation_external_ids WHERE conversation_id IN (",
    );
    stmt.push_list(ids.iter().copied()).push(") ORDER BY kind, value");
    for row in stmt.fetch_all(conn).await? {
        map.entry(row.uuid("conversation_id")?)
            .or_default()
            .push(ExternalId { kind: row.text("kind")?, value: row.text("value")? });
    }
    Ok(map)
}

pub(crate) async fn conversation<D: Dialect>(
    db: &D,
    tenant: TenantId,
    id: ConversationId,
) -> Result<Option<ConversationDetail>> {
    let mut conn = db.read().await?;
    let Some(row) = sql("SELECT id, tenant_id, direction, external_number, company_number, \
                         started_at, ended_at, created_at, updated_at FROM conversations \
                         WHERE id = $1 AND tenant_id = $2 AND trashed_at IS NULL")
    .bind(id.0)
    .bind(tenant.0)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let mut external_ids = external_ids_of(&mut *conn, &[id.0]).await?;
    let conversation = rows::conversation(&row, external_ids.remove(&id.0).unwrap_or_default())?;
    let participants = sql(format!(
        "SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE conversation_id = $1 AND tenant_id = $2 \
         ORDER BY joined_at, id"
    ))
    .bind(id.0)
    .bind(tenant.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(rows::participant)
    .collect::<Result<Vec<_>>>()?;
    let recording_rows = sql(format!(
        "SELECT {RECORDING_COLUMNS} FROM recordings WHERE conversation_id = $1 AND tenant_id = $2 \
         AND trashed_at IS NULL ORDER BY started_at, id"
    ))
    .bind(id.0)
    .bind(tenant.0)
    .fetch_all(&mut *conn)
    .await?;
    let copies = sql("SELECT c.id, c.recording_id, c.store, c.object_key, c.size_bytes, c.sha256, \
                      c.created_at, c.verified_at FROM copies c JOIN recordings r ON r.id = c.recording_id \
                      WHERE r.conversation_id = $1 AND c.tenant_id = $2 AND r.trashed_at IS NULL \
                      ORDER BY c.created_at, c.id")
    .bind(id.0)
    .bind(tenant.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(rows::copy)
    .collect::<Result<Vec<_>>>()?;
    let mut recordings = Vec::with_capacity(recording_rows.len());
    for row in &recording_rows {
        let (recording, codec) = rows::recording(row)?;
        let copies = copies.iter().filter(|c| c.recording_id == recording.id).cloned().collect();
        recordings.push(RecordingWithCopies { recording, codec, copies });
    }
    let events = sql("SELECT id, conversation_id, recording_id, participant_id, at, kind, detail \
                      FROM conversation_events WHERE conversation_id = $1 AND tenant_id = $2 \
                      ORDER BY at, id")
    .bind(id.0)
    .bind(tenant.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(rows::event)
    .collect::<Result<Vec<_>>>()?;
    Ok(Some(ConversationDetail { conversation, participants, recordings, events }))
}

pub(crate) async fn recording<D: Dialect>(
    db: &D,
    tenant: TenantId,
    id: RecordingId,
) -> Result<Option<Recording>> {
    let row = sql(format!(
        "SELECT {RECORDING_COLUMNS} FROM recordings WHERE id = $1 AND tenant_id = $2 \
             AND trashed_at IS NULL"
    ))
    .bind(id.0)
    .bind(tenant.0)
    .fetch_optional(&mut *db.read().await?)
    .await?;
    Ok(row.as_ref().map(rows::recording).transpose()?.map(|(recording, _)| recording))
}

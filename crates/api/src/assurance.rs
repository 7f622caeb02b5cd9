//! Assurance over HTTP: `GET /v1/assurance` (summary and findings),
//! `GET /v1/assurance/daily`, `POST /v1/assurance/reconcile` and
//! `POST /v1/cdrs` (idempotent CDR import).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use callvault_assurance::AssuranceSection;
use callvault_assurance::register::{ImportFormat, new_call, parse_cdrs};
use callvault_assurance::report::{Summary, decode_cursor, encode_cursor, parse_since};
use callvault_model::TenantId;
use callvault_store::{Finding, FindingCursor, FindingQuery};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Caller, Problem, SharedState, TenantCaller};

/// The most CDR bytes one request may carry.
pub const MAX_CDR_BYTES: usize = 64 * 1024 * 1024;

/// What the API needs of assurance.
pub struct AssuranceApi {
    pub config: AssuranceSection,
    /// Wakes this process's reconciliation (after an import, on demand);
    /// None where it does not run here.
    pub wake: Option<Arc<tokio::sync::Notify>>,
}

pub(crate) fn v1_routes() -> Router<SharedState> {
    let cdrs = post(import_cdrs).layer(axum::extract::DefaultBodyLimit::max(MAX_CDR_BYTES));
    Router::new()
        .route("/assurance", get(report))
        .route("/assurance/daily", get(daily))
        .route("/assurance/reconcile", post(reconcile))
        .route("/cdrs", cdrs)
}

fn api(state: &SharedState) -> Result<&AssuranceApi, Problem> {
    state.assurance.as_deref().ok_or_else(|| Problem::unavailable("assurance is not enabled here"))
}

/// The tenant a request is about: a tenant key's own; an admin's
/// `?tenant=NAME`, or every tenant.
async fn scope(
    state: &SharedState,
    caller: &Caller,
    tenant: Option<&str>,
) -> Result<Option<TenantId>, Problem> {
    if let Ok(t) = caller.tenant() {
        return Ok(Some(t));
    }
    caller.admin()?;
    match tenant {
        None => Ok(None),
        Some(name) => {
            let t = state.catalog.tenant_by_name(name).await?;
            Ok(Some(t.ok_or_else(|| Problem::not_found("tenant"))?.id))
        }
    }
}

#[derive(Debug, Serialize)]
pub struct FindingDto {
    pub id: Uuid,
    pub kind: String,
    pub call_id: Option<Uuid>,
    pub recording_id: Option<Uuid>,
    pub conversation_id: Option<Uuid>,
    pub reason: String,
    pub detail: serde_json::Value,
    pub first_seen: chrono::DateTime<Utc>,
    pub last_seen: chrono::DateTime<Utc>,
    pub resolved_at: Option<chrono::DateTime<Utc>>,
    pub resolution: Option<String>,
}

impl From<&Finding> for FindingDto {
    fn from(f: &Finding) -> Self {
        Self {
            id: f.id,
            kind: f.kind.clone(),
            call_id: f.call_id,
            recording_id: f.recording_id.map(|r| r.0),
            conversation_id: f.conversation_id.map(|c| c.0),
            reason: f.reason.clone(),
            detail: f.detail.clone(),
            first_seen: f.first_seen,
            last_seen: f.last_seen,
            resolved_at: f.resolved_at,
            resolution: f.resolution.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct ReportQuery {
    /// `24h`, `7d`, or an RFC 3339 time; default 24h.
    since: Option<String>,
    until: Option<String>,
    tenant: Option<String>,
    kind: Option<String>,
    /// Only open findings (default true).
    open: Option<bool>,
    cursor: Option<String>,
    limit: Option<u32>,
}

#[derive(Debug, Serialize)]
struct ReportDto {
    since: chrono::DateTime<Utc>,
    until: chrono::DateTime<Utc>,
    summary: Summary,
    findings: Vec<FindingDto>,
    next_cursor: Option<String>,
}

async fn report(
    State(state): State<SharedState>,
    caller: Caller,
    Query(q): Query<ReportQuery>,
) -> Result<Json<ReportDto>, Problem> {
    let tenant = scope(&state, &caller, q.tenant.as_deref()).await?;
    let now = Utc::now();
    let since = parse_since(q.since.as_deref().unwrap_or("24h"), now)
        .map_err(|e| Problem::bad_request("invalid_since", e))?;
    let until = match &q.until {
        Some(u) => parse_since(u, now).map_err(|e| Problem::bad_request("invalid_until", e))?,
        None => now,
    };
    if let Some(k) = &q.kind
        && !callvault_store::FINDING_KINDS.contains(&k.as_str())
    {
        return Err(Problem::bad_request("invalid_kind", format!("unknown finding kind {k:?}")));
    }
    let after = match &q.cursor {
        Some(c) => Some(
            decode_cursor(c).ok_or_else(|| Problem::bad_request("invalid_cursor", "bad cursor"))?,
        ),
        None => None,
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let summary = Summary::from(state.catalog.assurance_summary(tenant, since, until).await?);
    let query = FindingQuery {
        since: Some(since),
        until: Some(until),
        kind: q.kind.clone(),
        open_only: q.open.unwrap_or(true),
        after,
        limit,
    };
    let findings = state.catalog.list_findings(tenant, &query).await?;
    let next_cursor = (findings.len() as u32 == limit)
        .then(|| findings.last())
        .flatten()
        .map(|f| encode_cursor(&FindingCursor { first_seen: f.first_seen, id: f.id }));
    Ok(Json(ReportDto {
        since,
        until,
        summary,
        findings: findings.iter().map(FindingDto::from).collect(),
        next_cursor,
    }))
}

#[derive(Debug, Deserialize)]
struct DailyQuery {
    /// `YYYY-MM-DD` (UTC); default yesterday.
    date: Option<String>,
    tenant: Option<String>,
}

#[derive(Debug, Serialize)]
struct DailyDto {
    date: NaiveDate,
    summary: Summary,
    /// The day's open findings, newest first (at most 20).
    worst: Vec<FindingDto>,
}

async fn daily(
    State(state): State<SharedState>,
    caller: Caller,
    Query(q): Query<DailyQuery>,
) -> Result<Json<DailyDto>, Problem> {
    let tenant = scope(&state, &caller, q.tenant.as_deref()).await?;
    let date = match &q.date {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| Problem::bad_request("invalid_date", "date must be YYYY-MM-DD"))?,
        None => Utc::now().date_naive().pred_opt().unwrap_or_default(),
    };
    let from = date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let to = from + chrono::Duration::days(1);
    let summary = Summary::from(state.catalog.assurance_summary(tenant, from, to).await?);
    let query = FindingQuery {
        since: Some(from),
        until: Some(to),
        open_only: true,
        limit: 20,
        ..Default::default()
    };
    let worst = state.catalog.list_findings(tenant, &query).await?;
    Ok(Json(DailyDto { date, summary, worst: worst.iter().map(FindingDto::from).collect() }))
}

async fn reconcile(
    State(state): State<SharedState>,
    caller: Caller,
) -> Result<StatusCode, Problem> {
    if caller.tenant().is_err() {
        caller.admin()?;
    }
    let wake = api(&state)?
        .wake
        .as_ref()
        .ok_or_else(|| Problem::unavailable("reconciliation does not run in this process"))?;
    wake.notify_one();
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize)]
struct CdrQuery {
    /// `cv_json` (default), `asterisk_csv`, `asterisk_custom`,
    /// `freeswitch_json`, `generic`.
    format: Option<String>,
    /// The PBX's UTC offset for times written without one (`+03:00`).
    tz: Option<String>,
}

#[derive(Debug, Serialize)]
struct CdrImportDto {
    legs: u64,
    inserted: u64,
    existing: u64,
    /// Rows that could not be read (line number and reason); the others
    /// were imported.
    rejected: Vec<RejectedRowDto>,
}

#[derive(Debug, Serialize)]
struct RejectedRowDto {
    line: u64,
    reason: String,
}

async fn import_cdrs(
    State(state): State<SharedState>,
    TenantCaller { caller, tenant }: TenantCaller,
    Query(q): Query<CdrQuery>,
    body: Bytes,
) -> Result<Json<CdrImportDto>, Problem> {
    let api = api(&state)?;
    let format: ImportFormat = q.format.as_deref().unwrap_or("cv_json").parse().map_err(
        |e: callvault_assurance::register::ImportError| {
            Problem::bad_request("invalid_format", e.to_string())
        },
    )?;
    let mut opts = callvault_assurance::cdr::ParseOptions::default();
    if let Some(tz) = &q.tz {
        opts.tz = tz.parse().map_err(|_| {
            Problem::bad_request("invalid_tz", format!("tz {tz:?}: expected an offset like +03:00"))
        })?;
    }
    let parsed = parse_cdrs(format, &body, &opts)
        .map_err(|e| Problem::bad_request("invalid_cdrs", e.to_string()))?;
    let rejected = parsed
        .errors
        .iter()
        .map(|e| RejectedRowDto { line: e.line, reason: e.reason.clone() })
        .collect();
    let legs = parsed.legs;
    let settle = std::time::Duration::from_secs(api.config.settle_secs);
    let calls: Vec<_> = legs.iter().map(|l| new_call(l, settle)).collect();
    let outcome = state.catalog.import_calls(tenant, &calls, &caller.actor(), Utc::now()).await?;
    if let Some(w) = &api.wake {
        w.notify_one();
    }
    Ok(Json(CdrImportDto {
        legs: legs.len() as u64,
        inserted: outcome.inserted,
        existing: outcome.existing,
        rejected,
    }))
}

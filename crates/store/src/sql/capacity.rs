//! Capacity (usage sums and daily samples) and scrubbing (passes, their
//! cursor and findings).

use callvault_model::{CopyId, RecordingId, TenantId};
use chrono::NaiveDate;
use uuid::Uuid;

use super::Dialect;
use super::error::Result;
use super::rows::{self, i64_of};
use super::stmt::{SqlRow, sql};
use crate::capacity::*;
use crate::catalog::{CatalogError, catalog_time};

fn unsigned(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

fn scope(tenant: Option<TenantId>) -> String {
    tenant.map(|t| t.0.to_string()).unwrap_or_default()
}

pub(crate) async fn usage<D: Dialect>(db: &D) -> Result<Vec<StoreUsage>> {
    let rows = sql("SELECT store, tenant_id, COUNT(*) AS n, \
                    CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) AS bytes \
                    FROM copies GROUP BY store, tenant_id ORDER BY store, tenant_id")
    .fetch_all(&mut *db.read().await?)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StoreUsage {
                store: r.text("store")?,
                tenant_id: TenantId(r.uuid("tenant_id")?),
                copies: unsigned(r.i64("n")?),
                bytes: unsigned(r.i64("bytes")?),
            })
        })
        .collect()
}

pub(crate) async fn record_sample<D: Dialect>(db: &D, s: &StorageSample) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sql("INSERT INTO storage_samples (store, scope, day, used_bytes, copies, sampled_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (store, scope, day) DO UPDATE SET \
         used_bytes = excluded.used_bytes, copies = excluded.copies, \
         sampled_at = excluded.sampled_at")
    .bind(s.store.as_str())
    .bind(scope(s.tenant_id))
    .bind(s.day.format("%Y-%m-%d").to_string())
    .bind(i64_of(s.used_bytes))
    .bind(i64_of(s.copies))
    .bind(catalog_time(s.sampled_at))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn samples<D: Dialect>(
    db: &D,
    store: &str,
    tenant: Option<TenantId>,
    since: NaiveDate,
) -> Result<Vec<StorageSample>> {
    let rows = sql("SELECT store, day, used_bytes, copies, sampled_at FROM storage_samples \
                    WHERE store = $1 AND scope = $2 AND day >= $3 ORDER BY day")
    .bind(store)
    .bind(scope(tenant))
    .bind(since.format("%Y-%m-%d").to_string())
    .fetch_all(&mut *db.read().await?)
    .await?;
    rows.iter()
        .map(|r| {
            let day = r.text("day")?;
            let day = NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|e| {
                CatalogError::Invalid { what: "storage sample", reason: e.to_string() }
            })?;
            Ok(StorageSample {
                store: r.text("store")?,
                tenant_id: tenant,
                day,
                used_bytes: unsigned(r.i64("used_bytes")?),
                copies: unsigned(r.i64("copies")?),
                sampled_at: r.time("sampled_at")?,
            })
        })
        .collect()
}

pub(crate) async fn scrub_copies<D: Dialect>(
    db: &D,
    store: &str,
    after: &str,
    limit: u32,
) -> Result<Vec<TenantCopy>> {
    let rows = sql("SELECT id, tenant_id, recording_id, store, object_key, size_bytes, sha256, \
                    created_at, verified_at FROM copies WHERE store = $1 AND object_key > $2 \
                    AND deleting_at IS NULL ORDER BY object_key LIMIT $3")
    .bind(store)
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(&mut *db.read().await?)
    .await?;
    rows.iter()
        .map(|r| Ok(TenantCopy { tenant_id: TenantId(r.uuid("tenant_id")?), copy: rows::copy(r)? }))
        .collect()
}

const RUN_COLUMNS: &str = "id, store, started_at, updated_at, finished_at, cursor, total_copies, \
     copies_checked, bytes_checked, damaged, missing, repaired, unrepairable, busy_ms";

fn run(r: &impl SqlRow) -> Result<ScrubRun> {
    Ok(ScrubRun {
        id: r.uuid("id")?,
        store: r.text("store")?,
        started_at: r.time("started_at")?,
        updated_at: r.time("updated_at")?,
        finished_at: r.opt_time("finished_at")?,
        cursor: r.text("cursor")?,
        total_copies: unsigned(r.i64("total_copies")?),
        copies_checked: unsigned(r.i64("copies_checked")?),
        bytes_checked: unsigned(r.i64("bytes_checked")?),
        damaged: unsigned(r.i64("damaged")?),
        missing: unsigned(r.i64("missing")?),
        repaired: unsigned(r.i64("repaired")?),
        unrepairable: unsigned(r.i64("unrepairable")?),
        busy_ms: unsigned(r.i64("busy_ms")?),
    })
}

pub(crate) async fn save_run<D: Dialect>(db: &D, run: &ScrubRun) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sql(format!(
        "INSERT INTO scrub_runs ({RUN_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, \
         finished_at = excluded.finished_at, cursor = excluded.cursor, \
         total_copies = excluded.total_copies, copies_checked = excluded.copies_checked, \
         bytes_checked = excluded.bytes_checked, damaged = excluded.damaged, \
         missing = excluded.missing, repaired = excluded.repaired, \
         unrepairable = excluded.unrepairable, busy_ms = excluded.busy_ms"
    ))
    .bind(run.id)
    .bind(run.store.as_str())
    .bind(catalog_time(run.started_at))
    .bind(catalog_time(run.updated_at))
    .bind(run.finished_at.map(catalog_time))
    .bind(run.cursor.as_str())
    .bind(i64_of(run.total_copies))
    .bind(i64_of(run.copies_checked))
    .bind(i64_of(run.bytes_checked))
    .bind(i64_of(run.damaged))
    .bind(i64_of(run.missing))
    .bind(i64_of(run.repaired))
    .bind(i64_of(run.unrepairable))
    .bind(i64_of(run.busy_ms))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn runs<D: Dialect>(
    db: &D,
    store: Option<&str>,
    limit: u32,
) -> Result<Vec<ScrubRun>> {
    let mut stmt = sql(format!("SELECT {RUN_COLUMNS} FROM scrub_runs"));
    if let Some(store) = store {
        stmt.push(" WHERE store = ").push_bind(store);
    }
    stmt.push(" ORDER BY started_at DESC, id DESC LIMIT ").push_bind(i64::from(limit.min(1000)));
    let rows = stmt.fetch_all(&mut *db.read().await?).await?;
    rows.iter().map(run).collect()
}

pub(crate) async fn add_finding<D: Dialect>(db: &D, f: &ScrubFinding) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sql("INSERT INTO scrub_findings (run_id, copy_id, tenant_id, recording_id, store, \
         object_key, problem, outcome, detail, found_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
    .bind(f.run_id)
    .bind(f.copy_id.0)
    .bind(f.tenant_id.0)
    .bind(f.recording_id.0)
    .bind(f.store.as_str())
    .bind(f.object_key.as_str())
    .bind(f.problem.as_str())
    .bind(f.outcome.as_str())
    .bind(f.detail.as_str())
    .bind(catalog_time(f.found_at))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn findings<D: Dialect>(db: &D, run_id: Uuid) -> Result<Vec<ScrubFinding>> {
    let rows = sql("SELECT run_id, copy_id, tenant_id, recording_id, store, object_key, problem, \
                    outcome, detail, found_at FROM scrub_findings WHERE run_id = $1 \
                    ORDER BY found_at, object_key")
    .bind(run_id)
    .fetch_all(&mut *db.read().await?)
    .await?;
    rows.iter()
        .map(|r| {
            let problem = match r.text("problem")?.as_str() {
                "missing" => ScrubProblem::Missing,
                _ => ScrubProblem::Damaged,
            };
            let outcome = match r.text("outcome")?.as_str() {
                "repaired" => ScrubOutcome::Repaired,
                _ => ScrubOutcome::Unrepairable,
            };
            Ok(ScrubFinding {
                run_id: r.uuid("run_id")?,
                copy_id: CopyId(r.uuid("copy_id")?),
                tenant_id: TenantId(r.uuid("tenant_id")?),
                recording_id: RecordingId(r.uuid("recording_id")?),
                store: r.text("store")?,
                object_key: r.text("object_key")?,
                problem,
                outcome,
                detail: r.text("detail")?,
                found_at: r.time("found_at")?,
            })
        })
        .collect()
}

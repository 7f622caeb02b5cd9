//! Health checks, counts and the benchmark's bulk seed.

use callvault_model::{ConversationId, ParticipantId, TenantId};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::Dialect;
use super::error::Result;
use super::stmt::{SqlRow, sql};
use crate::catalog::{Totals, number_tail};

pub(crate) async fn ping<D: Dialect>(db: &D) -> Result<()> {
    sql("SELECT 1").execute(&mut *db.read().await?).await?;
    Ok(())
}

/// Whether a write can be made now: a write transaction starts (SQLite:
/// replacing a writer connection a failed write left stuck, and taking the
/// write lock) and is rolled back. After a write found the storage full, the
/// backend's probe must also find room again.
pub(crate) async fn check_writable<D: Dialect>(db: &D) -> Result<()> {
    db.begin_write().await?.rollback().await?;
    if db.writes().storage_was_full() {
        db.probe_room().await?;
    }
    Ok(())
}

pub(crate) async fn totals<D: Dialect>(db: &D) -> Result<Totals> {
    let row = sql("SELECT (SELECT COUNT(*) FROM tenants) AS tenants, \
                   (SELECT COUNT(*) FROM conversations) AS conversations, \
                   (SELECT COUNT(*) FROM recordings) AS recordings, \
                   (SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM recordings) AS bytes")
    .fetch_one(&mut *db.read().await?)
    .await?;
    let count = |col: &str| -> Result<u64> { Ok(u64::try_from(row.i64(col)?).unwrap_or(0)) };
    Ok(Totals {
        tenants: count("tenants")?,
        conversations: count("conversations")?,
        recordings: count("recordings")?,
        recording_bytes: count("bytes")?,
    })
}

/// Rows of one synthetic conversation.
struct Seeded {
    id: Uuid,
    started: DateTime<Utc>,
    number: String,
    extension: String,
    linkedid: String,
}

/// How many conversations one seed transaction inserts.
const SEED_BATCH: u64 = 500;

pub(crate) async fn bench_seed<D: Dialect>(
    db: &D,
    tenant: TenantId,
    count: u64,
    seed: u64,
) -> Result<()> {
    let mut rng = seed | 1;
    let mut next = move || {
        // xorshift64*: deterministic, dependency-free.
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let base = Utc::now() - Duration::days(365);
    let mut done = 0u64;
    while done < count {
        let batch = (count - done).min(SEED_BATCH);
        let seeded: Vec<Seeded> = (done..done + batch)
            .map(|n| {
                let started = base + Duration::seconds((n * 31) as i64 % (365 * 86_400));
                Seeded {
                    id: ConversationId::new().0,
                    started,
                    number: format!("+7912{:07}", next() % 10_000_000),
                    extension: format!("{}", 100 + next() % 400),
                    linkedid: format!("{}.{}", started.timestamp(), n),
                }
            })
            .collect();
        seed_batch(db, tenant, &seeded).await?;
        done += batch;
    }
    Ok(())
}

async fn seed_batch<D: Dialect>(db: &D, tenant: TenantId, seeded: &[Seeded]) -> Result<()> {
    let ended = |s: &Seeded| s.started + Duration::seconds(120);
    let mut tx = db.begin_write().await?;

    let mut stmt = sql("INSERT INTO conversations (id, tenant_id, direction, external_number, \
                        company_number, started_at, ended_at, recording_count, created_at, updated_at) ");
    for (i, s) in seeded.iter().enumerate() {
        stmt.push(if i == 0 { "VALUES (" } else { ", (" });
        stmt.push_bind(s.id).push(", ").push_bind(tenant.0).push(", ").push_bind("inbound");
        stmt.push(", ").push_bind(&s.number).push(", ").push_bind(&s.extension);
        stmt.push(", ").push_bind(s.started).push(", ").push_bind(ended(s));
        stmt.push(", ")
            .push_bind(1i32)
            .push(", ")
            .push_bind(s.started)
            .push(", ")
            .push_bind(s.started);
        stmt.push(")");
    }
    stmt.execute(&mut *tx).await?;

    let mut stmt =
        sql("INSERT INTO conversation_keys (tenant_id, kind, value, conversation_id, started_at) ");
    let keys = seeded.iter().flat_map(|s| {
        [
            ("number", number_tail(&s.number).unwrap_or_default()),
            ("participant", s.extension.clone()),
        ]
        .map(|(kind, value)| (s, kind, value))
    });
    for (i, (s, kind, value)) in keys.enumerate() {
        stmt.push(if i == 0 { "VALUES (" } else { ", (" });
        stmt.push_bind(tenant.0).push(", ").push_bind(kind).push(", ").push_bind(value);
        stmt.push(", ").push_bind(s.id).push(", ").push_bind(s.started).push(")");
    }
    stmt.execute(&mut *tx).await?;

    let mut stmt =
        sql("INSERT INTO conversation_external_ids (tenant_id, kind, value, conversation_id) ");
    for (i, s) in seeded.iter().enumerate() {
        stmt.push(if i == 0 { "VALUES (" } else { ", (" });
        stmt.push_bind(tenant.0).push(", ").push_bind("asterisk_linkedid");
        stmt.push(", ").push_bind(&s.linkedid).push(", ").push_bind(s.id).push(")");
    }
    stmt.execute(&mut *tx).await?;

    let mut stmt = sql("INSERT INTO participants (id, tenant_id, conversation_id, side, address, \
                        display_name, joined_at, left_at) ");
    for (i, s) in seeded.iter().enumerate() {
        stmt.push(if i == 0 { "VALUES (" } else { ", (" });
        stmt.push_bind(ParticipantId::new().0).push(", ").push_bind(tenant.0);
        stmt.push(", ").push_bind(s.id).push(", ").push_bind("company");
        stmt.push(", ").push_bind(&s.extension).push(", ").push_bind(None::<String>);
        stmt.push(", ").push_bind(s.started).push(", ").push_bind(ended(s)).push(")");
    }
    stmt.execute(&mut *tx).await?;

    tx.commit().await?;
    Ok(())
}

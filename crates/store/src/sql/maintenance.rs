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
    direction: &'static str,
    /// None: a conversation without a recording (an unanswered or
    /// unrecorded call).
    recording: Option<SeededRecording>,
}

/// The one recording of a synthetic conversation.
struct SeededRecording {
    id: Uuid,
    source: &'static str,
    duration_ms: i64,
    cut_by_crash: bool,
    /// An assurance finding on it: kind and whether it is still open.
    finding: Option<(&'static str, bool)>,
}

impl Seeded {
    fn ended(&self) -> DateTime<Utc> {
        self.started
            + Duration::milliseconds(self.recording.as_ref().map_or(30_000, |r| r.duration_ms))
    }
}

/// How many conversations one seed transaction inserts.
const SEED_BATCH: u64 = 500;

/// A realistic mix for the console's filters: directions 55/35/10 %
/// inbound/outbound/internal; 5 % without a recording; sources 45/35/15/5 %
/// capture/upload/SIPREC/import; durations from a few seconds to an hour
/// (most between 15 s and 3 min); 0.3 % cut by a crash (capture and SIPREC
/// only); open findings 1 % incomplete and 1.5 % undelivered, plus 0.5 %
/// resolved incomplete ones the search must not count.
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
                let direction = match next() % 100 {
                    0..55 => "inbound",
                    55..90 => "outbound",
                    _ => "internal",
                };
                let recording = (next() % 100 >= 5).then(|| {
                    let source = match next() % 100 {
                        0..45 => "capture",
                        45..80 => "upload",
                        80..95 => "siprec",
                        _ => "import",
                    };
                    let duration_ms = (match next() % 100 {
                        0..10 => 3 + next() % 12,
                        10..60 => 15 + next() % 165,
                        60..90 => 180 + next() % 720,
                        _ => 900 + next() % 2700,
                    } * 1000
                        + next() % 1000) as i64;
                    let live = matches!(source, "capture" | "siprec");
                    let cut_by_crash = live && next() % 1000 < 6;
                    let finding = match next() % 1000 {
                        0..10 => Some(("incomplete", true)),
                        10..25 => Some(("undelivered", true)),
                        25..30 => Some(("incomplete", false)),
                        _ => None,
                    };
                    SeededRecording {
                        id: Uuid::now_v7(),
                        source,
                        duration_ms,
                        cut_by_crash,
                        finding,
                    }
                });
                Seeded {
                    id: ConversationId::new().0,
                    started,
                    number: format!("+7912{:07}", next() % 10_000_000),
                    extension: format!("{}", 100 + next() % 400),
                    linkedid: format!("{}.{}", started.timestamp(), n),
                    direction,
                    recording,
                }
            })
            .collect();
        seed_batch(db, tenant, &seeded).await?;
        done += batch;
    }
    Ok(())
}

async fn seed_batch<D: Dialect>(db: &D, tenant: TenantId, seeded: &[Seeded]) -> Result<()> {
    let mut tx = db.begin_write().await?;

    let mut stmt = sql("INSERT INTO conversations (id, tenant_id, direction, external_number, \
                        company_number, started_at, ended_at, recording_count, created_at, updated_at) ");
    for (i, s) in seeded.iter().enumerate() {
        stmt.push(if i == 0 { "VALUES (" } else { ", (" });
        stmt.push_bind(s.id).push(", ").push_bind(tenant.0).push(", ").push_bind(s.direction);
        stmt.push(", ").push_bind(&s.number).push(", ").push_bind(&s.extension);
        stmt.push(", ").push_bind(s.started).push(", ").push_bind(s.ended());
        stmt.push(", ")
            .push_bind(i32::from(s.recording.is_some()))
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
        stmt.push(", ").push_bind(s.started).push(", ").push_bind(s.ended()).push(")");
    }
    stmt.execute(&mut *tx).await?;

    let recorded: Vec<(&Seeded, &SeededRecording)> =
        seeded.iter().filter_map(|s| s.recording.as_ref().map(|r| (s, r))).collect();
    if !recorded.is_empty() {
        let mut stmt = sql("INSERT INTO recordings (id, tenant_id, conversation_id, upload_key, \
             source, format, codec, channels, sample_rate, duration_ms, size_bytes, sha256, \
             started_at, ended_at, object_key, flags, created_at) ");
        for (i, (s, r)) in recorded.iter().enumerate() {
            let channels: i32 = if matches!(r.source, "capture" | "siprec") { 2 } else { 1 };
            let flags = if r.cut_by_crash {
                serde_json::json!(["cut_by_crash"])
            } else {
                serde_json::json!([])
            };
            stmt.push(if i == 0 { "VALUES (" } else { ", (" });
            stmt.push_bind(r.id).push(", ").push_bind(tenant.0).push(", ").push_bind(s.id);
            stmt.push(", ").push_bind(format!("bench-{}", r.id)).push(", ").push_bind(r.source);
            stmt.push(", ").push_bind("wav").push(", ").push_bind("pcm_s16le");
            stmt.push(", ").push_bind(channels).push(", ").push_bind(8000i32);
            stmt.push(", ").push_bind(r.duration_ms).push(", ").push_bind(r.duration_ms * 16);
            stmt.push(", ").push_bind(format!("{:064x}", r.id.as_u128()));
            stmt.push(", ").push_bind(s.started).push(", ").push_bind(s.ended());
            stmt.push(", ").push_bind(format!("bench/{}.wav", r.id)).push(", ");
            stmt.push_bind(flags).push(", ").push_bind(s.started).push(")");
        }
        stmt.execute(&mut *tx).await?;
    }

    let found: Vec<(&Seeded, &SeededRecording, &'static str, bool)> = recorded
        .iter()
        .filter_map(|(s, r)| r.finding.map(|(kind, open)| (*s, *r, kind, open)))
        .collect();
    if !found.is_empty() {
        let mut stmt = sql(
            "INSERT INTO findings (id, tenant_id, subject_id, call_id, recording_id, \
             conversation_id, kind, reason, detail, first_seen, last_seen, resolved_at, resolution) ",
        );
        for (i, (s, r, kind, open)) in found.iter().enumerate() {
            let seen = s.ended() + Duration::minutes(10);
            stmt.push(if i == 0 { "VALUES (" } else { ", (" });
            stmt.push_bind(Uuid::now_v7()).push(", ").push_bind(tenant.0);
            stmt.push(", ").push_bind(r.id).push(", ").push_bind(None::<Uuid>);
            stmt.push(", ").push_bind(r.id).push(", ").push_bind(s.id);
            stmt.push(", ").push_bind(*kind).push(", ").push_bind("bench");
            stmt.push(", ").push_bind(serde_json::json!({}));
            stmt.push(", ").push_bind(seen).push(", ").push_bind(seen);
            if *open {
                stmt.push(", ")
                    .push_bind(None::<DateTime<Utc>>)
                    .push(", ")
                    .push_bind(None::<String>);
            } else {
                stmt.push(", ").push_bind(seen).push(", ").push_bind("bench");
            }
            stmt.push(")");
        }
        stmt.execute(&mut *tx).await?;
    }
    // Flags are search keys, as the catalog keeps them.
    for (s, r) in &recorded {
        let open_flag = r.finding.is_some_and(|(kind, open)| {
            open && crate::catalog::ConversationFlag::parse(kind).is_some()
        });
        if r.cut_by_crash || open_flag {
            super::search::sync_flag_keys(&mut *tx, s.id).await?;
        }
    }

    tx.commit().await?;
    Ok(())
}

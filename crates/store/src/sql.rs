//! The catalog's SQL, shared by the SQLite and PostgreSQL backends.
//!
//! Both dialects accept `$N` placeholders, `RETURNING`, `ON CONFLICT DO
//! NOTHING` and partial unique indexes, so one body of SQL serves both. What
//! differs is how times are stored (SQLite: INTEGER microseconds; PostgreSQL:
//! TIMESTAMPTZ), how a writing transaction starts, and the migrations. Each
//! backend module provides `t`, `t_opt`, `get_t` and `get_t_opt` for times,
//! and `begin_write`/`reader` on its catalog struct, then invokes
//! [`impl_catalog!`] to get the [`Catalog`](crate::Catalog) implementation.

/// Expands to `impl Catalog for $ty` over the database `$db`.
macro_rules! impl_catalog {
    ($ty:ty, $db:ty) => {
        use std::collections::HashSet as __HashSet;

        use async_trait::async_trait as __async_trait;
        use callvault_model::*;
        use chrono::{DateTime, Utc};
        use sqlx::Row as _;
        use sqlx::types::Json;

        use $crate::catalog::*;

        type DbRow = <$db as sqlx::Database>::Row;
        type Tx<'a> = sqlx::Transaction<'a, $db>;

        fn sqlx_err(e: sqlx::Error) -> CatalogError {
            CatalogError::from_sqlx(e)
        }

        fn parse_enum<T: std::str::FromStr>(s: &str) -> Result<T> {
            s.parse().map_err(|_| CatalogError::Backend(format!("unexpected value {s:?} in catalog")))
        }

        fn tenant_from_row(row: &DbRow) -> Result<Tenant> {
            Ok(Tenant {
                id: TenantId(row.try_get("id").map_err(sqlx_err)?),
                name: row.try_get("name").map_err(sqlx_err)?,
                created_at: get_t(row, "created_at")?,
            })
        }

        fn key_from_row(row: &DbRow) -> Result<ApiKey> {
            let tenant: Option<uuid::Uuid> = row.try_get("tenant_id").map_err(sqlx_err)?;
            let role: String = row.try_get("role").map_err(sqlx_err)?;
            Ok(ApiKey {
                id: ApiKeyId(row.try_get("id").map_err(sqlx_err)?),
                tenant_id: tenant.map(TenantId),
                role: KeyRole::parse(&role)?,
                label: row.try_get("label").map_err(sqlx_err)?,
                prefix: row.try_get("prefix").map_err(sqlx_err)?,
                created_at: get_t(row, "created_at")?,
                revoked_at: get_t_opt(row, "revoked_at")?,
            })
        }

        fn conversation_from_row(row: &DbRow, external_ids: Vec<ExternalId>) -> Result<Conversation> {
            let direction: String = row.try_get("direction").map_err(sqlx_err)?;
            Ok(Conversation {
                id: ConversationId(row.try_get("id").map_err(sqlx_err)?),
                tenant_id: TenantId(row.try_get("tenant_id").map_err(sqlx_err)?),
                direction: parse_enum(&direction)?,
                external_number: row.try_get("external_number").map_err(sqlx_err)?,
                company_number: row.try_get("company_number").map_err(sqlx_err)?,
                started_at: get_t(row, "started_at")?,
                ended_at: get_t_opt(row, "ended_at")?,
                external_ids,
                created_at: get_t(row, "created_at")?,
                updated_at: get_t(row, "updated_at")?,
            })
        }

        fn participant_from_row(row: &DbRow) -> Result<Participant> {
            let side: String = row.try_get("side").map_err(sqlx_err)?;
            Ok(Participant {
                id: ParticipantId(row.try_get("id").map_err(sqlx_err)?),
                conversation_id: ConversationId(row.try_get("conversation_id").map_err(sqlx_err)?),
                side: parse_enum(&side)?,
                address: row.try_get("address").map_err(sqlx_err)?,
                display_name: row.try_get("display_name").map_err(sqlx_err)?,
                joined_at: get_t(row, "joined_at")?,
                left_at: get_t_opt(row, "left_at")?,
            })
        }

        fn recording_from_row(row: &DbRow) -> Result<(Recording, String)> {
            let source: String = row.try_get("source").map_err(sqlx_err)?;
            let format: String = row.try_get("format").map_err(sqlx_err)?;
            let participant: Option<uuid::Uuid> = row.try_get("participant_id").map_err(sqlx_err)?;
            let Json(flags): Json<Vec<String>> = row.try_get("flags").map_err(sqlx_err)?;
            let channels: i32 = row.try_get("channels").map_err(sqlx_err)?;
            let sample_rate: i32 = row.try_get("sample_rate").map_err(sqlx_err)?;
            let duration_ms: i64 = row.try_get("duration_ms").map_err(sqlx_err)?;
            let size_bytes: i64 = row.try_get("size_bytes").map_err(sqlx_err)?;
            let rec = Recording {
                id: RecordingId(row.try_get("id").map_err(sqlx_err)?),
                tenant_id: TenantId(row.try_get("tenant_id").map_err(sqlx_err)?),
                conversation_id: ConversationId(row.try_get("conversation_id").map_err(sqlx_err)?),
                participant_id: participant.map(ParticipantId),
                source: parse_enum(&source)?,
                format: parse_enum(&format)?,
                channels: u16::try_from(channels).unwrap_or(0),
                sample_rate: u32::try_from(sample_rate).unwrap_or(0),
                duration_ms: u64::try_from(duration_ms).unwrap_or(0),
                size_bytes: u64::try_from(size_bytes).unwrap_or(0),
                sha256: row.try_get("sha256").map_err(sqlx_err)?,
                started_at: get_t(row, "started_at")?,
                ended_at: get_t(row, "ended_at")?,
                object_key: row.try_get("object_key").map_err(sqlx_err)?,
                flags,
                created_at: get_t(row, "created_at")?,
            };
            Ok((rec, row.try_get("codec").map_err(sqlx_err)?))
        }

        fn copy_from_row(row: &DbRow) -> Result<Copy> {
            let size_bytes: i64 = row.try_get("size_bytes").map_err(sqlx_err)?;
            Ok(Copy {
                id: CopyId(row.try_get("id").map_err(sqlx_err)?),
                recording_id: RecordingId(row.try_get("recording_id").map_err(sqlx_err)?),
                store: row.try_get("store").map_err(sqlx_err)?,
                object_key: row.try_get("object_key").map_err(sqlx_err)?,
                size_bytes: u64::try_from(size_bytes).unwrap_or(0),
                sha256: row.try_get("sha256").map_err(sqlx_err)?,
                created_at: get_t(row, "created_at")?,
                verified_at: get_t_opt(row, "verified_at")?,
            })
        }

        const RECORDING_COLUMNS: &str = "id, tenant_id, conversation_id, participant_id, source, format, codec, \
             channels, sample_rate, duration_ms, size_bytes, sha256, started_at, ended_at, \
             object_key, flags, created_at";

        fn i64_of(v: u64) -> i64 {
            i64::try_from(v).unwrap_or(i64::MAX)
        }

        impl $ty {
            /// Apply what `MIGRATIONS` holds and the database lacks, in one
            /// transaction, after the backend's `MIGRATION_PREAMBLE`.
            async fn run_migrations(&self) -> Result<()> {
                let mut tx = self.begin_write().await.map_err(sqlx_err)?;
                for statement in Self::MIGRATION_PREAMBLE {
                    sqlx::query(statement).execute(&mut *tx).await.map_err(sqlx_err)?;
                }
                for &(version, name, script) in MIGRATIONS {
                    let done: Option<i64> =
                        sqlx::query_scalar("SELECT version FROM callvault_migrations WHERE version = $1")
                            .bind(version)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(sqlx_err)?;
                    if done.is_some() {
                        continue;
                    }
                    for statement in sql_statements(script) {
                        sqlx::query(statement).execute(&mut *tx).await.map_err(sqlx_err)?;
                    }
                    sqlx::query("INSERT INTO callvault_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                        .bind(version)
                        .bind(name)
                        .bind(t(Utc::now()))
                        .execute(&mut *tx)
                        .await
                        .map_err(sqlx_err)?;
                    tracing::info!(version, name, "applied catalog migration");
                }
                tx.commit().await.map_err(sqlx_err)
            }

            async fn audit_in(
                tx: &mut Tx<'_>,
                tenant: Option<TenantId>,
                actor: &str,
                action: &str,
                subject: String,
                detail: serde_json::Value,
            ) -> std::result::Result<(), sqlx::Error> {
                sqlx::query(
                    "INSERT INTO audit_log (tenant_id, at, actor, action, subject, detail) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(tenant.map(|t| t.0))
                .bind(t(Utc::now()))
                .bind(actor)
                .bind(action)
                .bind(subject)
                .bind(Json(detail))
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn external_ids_of(
                &self,
                ids: &[uuid::Uuid],
            ) -> Result<std::collections::HashMap<uuid::Uuid, Vec<ExternalId>>> {
                let mut map: std::collections::HashMap<uuid::Uuid, Vec<ExternalId>> = Default::default();
                if ids.is_empty() {
                    return Ok(map);
                }
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT conversation_id, kind, value FROM conversation_external_ids WHERE conversation_id IN (",
                );
                let mut sep = qb.separated(", ");
                for id in ids {
                    sep.push_bind(*id);
                }
                qb.push(") ORDER BY kind, value");
                let rows = qb.build().fetch_all(self.reader()).await.map_err(sqlx_err)?;
                for row in rows {
                    let cid: uuid::Uuid = row.try_get("conversation_id").map_err(sqlx_err)?;
                    map.entry(cid).or_default().push(ExternalId {
                        kind: row.try_get("kind").map_err(sqlx_err)?,
                        value: row.try_get("value").map_err(sqlx_err)?,
                    });
                }
                Ok(map)
            }

            async fn try_commit(
                &self,
                new: &NewRecording,
            ) -> std::result::Result<CommitOutcome, sqlx::Error> {
                let mut tx = self.begin_write().await?;
                let tenant = new.tenant_id.0;

                // The same upload again: by idempotency key, then by content.
                let existing = match &new.idempotency_key {
                    Some(key) => sqlx::query(&format!(
                        "SELECT {RECORDING_COLUMNS} FROM recordings WHERE tenant_id = $1 AND idempotency_key = $2"
                    ))
                    .bind(tenant)
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?,
                    None => None,
                };
                let existing = match existing {
                    Some(row) => Some(row),
                    None => sqlx::query(&format!(
                        "SELECT {RECORDING_COLUMNS} FROM recordings WHERE tenant_id = $1 AND upload_key = $2"
                    ))
                    .bind(tenant)
                    .bind(&new.upload_key)
                    .fetch_optional(&mut *tx)
                    .await?,
                };
                if let Some(row) = existing {
                    let (rec, _) = recording_from_row(&row).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
                    return Ok(CommitOutcome::Existing(rec));
                }

                let now = Utc::now();
                // Conversation-wide keys first, so that a leg id never wins
                // over the linkedid or SIPREC group that names the whole call.
                let mut hints: Vec<&ExternalId> = new.conversation.external_ids.iter().collect();
                hints.sort_by_key(|id| !CONVERSATION_KEY_KINDS.contains(&id.kind.as_str()));
                let mut conversation_id = None;
                for id in &hints {
                    let found: Option<uuid::Uuid> = sqlx::query_scalar(
                        "SELECT conversation_id FROM conversation_external_ids \
                         WHERE tenant_id = $1 AND kind = $2 AND value = $3",
                    )
                    .bind(tenant)
                    .bind(&id.kind)
                    .bind(&id.value)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if found.is_some() {
                        conversation_id = found;
                        break;
                    }
                }

                let is_new = conversation_id.is_none();
                // The conversation's start after this recording, which the
                // search keys carry.
                let mut conversation_start = new.started_at;
                let conversation_id = match conversation_id {
                    Some(cid) => {
                        // An UPDATE rather than a SELECT: it takes the row lock
                        // before reading, so concurrent commits to one
                        // conversation (PostgreSQL) merge instead of overwriting
                        // each other's start, end and direction.
                        let row = sqlx::query(
                            "UPDATE conversations SET updated_at = updated_at WHERE id = $1 AND tenant_id = $2 \
                             RETURNING id, tenant_id, direction, external_number, company_number, started_at, \
                             ended_at, created_at, updated_at",
                        )
                        .bind(cid)
                        .bind(tenant)
                        .fetch_one(&mut *tx)
                        .await?;
                        let conv = conversation_from_row(&row, Vec::new())
                            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
                        let started = conv.started_at.min(new.started_at);
                        conversation_start = started;
                        if started != conv.started_at {
                            sqlx::query("UPDATE conversation_keys SET started_at = $1 WHERE conversation_id = $2")
                                .bind(t(started))
                                .bind(cid)
                                .execute(&mut *tx)
                                .await?;
                        }
                        let ended = conv.ended_at.map_or(new.ended_at, |e| e.max(new.ended_at));
                        let direction = match (conv.direction, new.conversation.direction) {
                            (Direction::Unknown, Some(d)) => d,
                            (d, _) => d,
                        };
                        sqlx::query(
                            "UPDATE conversations SET started_at = $1, ended_at = $2, direction = $3, \
                             external_number = COALESCE(external_number, $4), \
                             company_number = COALESCE(company_number, $5), updated_at = $6 WHERE id = $7",
                        )
                        .bind(t(started))
                        .bind(t(ended))
                        .bind(direction.as_str())
                        .bind(&new.conversation.external_number)
                        .bind(&new.conversation.company_number)
                        .bind(t(now))
                        .bind(cid)
                        .execute(&mut *tx)
                        .await?;
                        cid
                    }
                    None => {
                        let cid = ConversationId::new().0;
                        let direction = new.conversation.direction.unwrap_or(Direction::Unknown);
                        sqlx::query(
                            "INSERT INTO conversations (id, tenant_id, direction, external_number, \
                             company_number, started_at, ended_at, recording_count, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8)",
                        )
                        .bind(cid)
                        .bind(tenant)
                        .bind(direction.as_str())
                        .bind(&new.conversation.external_number)
                        .bind(&new.conversation.company_number)
                        .bind(t(new.started_at))
                        .bind(t(new.ended_at))
                        .bind(t(now))
                        .execute(&mut *tx)
                        .await?;
                        Self::audit_in(
                            &mut tx,
                            Some(new.tenant_id),
                            &new.actor,
                            "conversation.created",
                            format!("conversation:{cid}"),
                            serde_json::json!({ "direction": direction.as_str() }),
                        )
                        .await?;
                        cid
                    }
                };

                // A new conversation claims its ids without ON CONFLICT: if a
                // concurrent writer claimed one first, the unique violation
                // rolls this attempt back and the retry joins that
                // conversation instead of creating a second one.
                let claim = if is_new {
                    "INSERT INTO conversation_external_ids (tenant_id, kind, value, conversation_id) \
                     VALUES ($1, $2, $3, $4)"
                } else {
                    "INSERT INTO conversation_external_ids (tenant_id, kind, value, conversation_id) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
                };
                let mut claimed = std::collections::HashSet::new();
                for id in &new.conversation.external_ids {
                    if !claimed.insert((id.kind.as_str(), id.value.as_str())) {
                        continue;
                    }
                    sqlx::query(claim)
                    .bind(tenant)
                    .bind(&id.kind)
                    .bind(&id.value)
                    .bind(conversation_id)
                    .execute(&mut *tx)
                    .await?;
                }

                // Participants: the same address on the same side is the same
                // person; their time on the call grows to cover both uploads.
                let rows = sqlx::query(
                    "SELECT id, conversation_id, side, address, display_name, joined_at, left_at \
                     FROM participants WHERE conversation_id = $1",
                )
                .bind(conversation_id)
                .fetch_all(&mut *tx)
                .await?;
                let mut known = Vec::with_capacity(rows.len());
                for row in &rows {
                    known.push(participant_from_row(row).map_err(|e| sqlx::Error::Protocol(e.to_string()))?);
                }
                let mut first_participant = None;
                for p in &new.participants {
                    let same = known.iter().find(|k| {
                        k.side == p.side && k.address.is_some() && k.address == p.address
                    });
                    let pid = match same {
                        Some(k) => {
                            let joined = k.joined_at.min(p.joined_at);
                            let left = match (k.left_at, p.left_at) {
                                (Some(a), Some(b)) => Some(a.max(b)),
                                (a, b) => a.or(b),
                            };
                            sqlx::query(
                                "UPDATE participants SET joined_at = $1, left_at = $2, \
                                 display_name = COALESCE(display_name, $3) WHERE id = $4",
                            )
                            .bind(t(joined))
                            .bind(t_opt(left))
                            .bind(&p.display_name)
                            .bind(k.id.0)
                            .execute(&mut *tx)
                            .await?;
                            k.id.0
                        }
                        None => {
                            let pid = ParticipantId::new().0;
                            sqlx::query(
                                "INSERT INTO participants (id, tenant_id, conversation_id, side, address, \
                                 display_name, joined_at, left_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                            )
                            .bind(pid)
                            .bind(tenant)
                            .bind(conversation_id)
                            .bind(p.side.as_str())
                            .bind(&p.address)
                            .bind(&p.display_name)
                            .bind(t(p.joined_at))
                            .bind(t_opt(p.left_at))
                            .execute(&mut *tx)
                            .await?;
                            known.push(Participant {
                                id: ParticipantId(pid),
                                conversation_id: ConversationId(conversation_id),
                                side: p.side,
                                address: p.address.clone(),
                                display_name: p.display_name.clone(),
                                joined_at: p.joined_at,
                                left_at: p.left_at,
                            });
                            pid
                        }
                    };
                    first_participant.get_or_insert(pid);
                }

                let numbers = [&new.conversation.external_number, &new.conversation.company_number]
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .chain(new.participants.iter().filter_map(|p| p.address.as_deref()));
                let mut keys: Vec<(&str, String)> =
                    number_tails(numbers).into_iter().map(|tail| ("number", tail)).collect();
                for p in &new.participants {
                    keys.extend(
                        [&p.address, &p.display_name].into_iter().flatten().map(|v| ("participant", v.clone())),
                    );
                }
                keys.sort();
                keys.dedup();
                for (kind, value) in keys {
                    sqlx::query(
                        "INSERT INTO conversation_keys (tenant_id, kind, value, conversation_id, started_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(tenant)
                    .bind(kind)
                    .bind(value)
                    .bind(conversation_id)
                    .bind(t(conversation_start))
                    .execute(&mut *tx)
                    .await?;
                }

                let row = sqlx::query(&format!(
                    "INSERT INTO recordings ({RECORDING_COLUMNS}, idempotency_key, upload_key) VALUES \
                     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
                     RETURNING {RECORDING_COLUMNS}"
                ))
                .bind(new.id.0)
                .bind(tenant)
                .bind(conversation_id)
                .bind(first_participant)
                .bind(new.source.as_str())
                .bind(new.format.as_str())
                .bind(&new.codec)
                .bind(i32::from(new.channels))
                .bind(i32::try_from(new.sample_rate).unwrap_or(i32::MAX))
                .bind(i64_of(new.duration_ms))
                .bind(i64_of(new.size_bytes))
                .bind(&new.sha256)
                .bind(t(new.started_at))
                .bind(t(new.ended_at))
                .bind(&new.object_key)
                .bind(Json(&new.flags))
                .bind(t(now))
                .bind(&new.idempotency_key)
                .bind(&new.upload_key)
                .fetch_one(&mut *tx)
                .await?;
                let (recording, _) = recording_from_row(&row).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;

                sqlx::query("UPDATE conversations SET recording_count = recording_count + 1 WHERE id = $1")
                    .bind(conversation_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO copies (id, tenant_id, recording_id, store, object_key, size_bytes, sha256, \
                     created_at, verified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                )
                .bind(CopyId::new().0)
                .bind(tenant)
                .bind(new.id.0)
                .bind(&new.store)
                .bind(&new.object_key)
                .bind(i64_of(new.size_bytes))
                .bind(&new.sha256)
                .bind(t(now))
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM pending_objects WHERE store = $1 AND object_key = $2")
                    .bind(&new.store)
                    .bind(&new.object_key)
                    .execute(&mut *tx)
                    .await?;
                Self::audit_in(
                    &mut tx,
                    Some(new.tenant_id),
                    &new.actor,
                    "recording.stored",
                    format!("recording:{}", new.id),
                    serde_json::json!({
                        "conversation_id": conversation_id,
                        "sha256": new.sha256,
                        "size_bytes": new.size_bytes,
                        "store": new.store,
                        "object_key": new.object_key,
                        "source": new.source.as_str(),
                    }),
                )
                .await?;
                tx.commit().await?;
                Ok(CommitOutcome::Created(recording))
            }
        }

        #[__async_trait]
        impl Catalog for $ty {
            fn backend(&self) -> &'static str {
                Self::BACKEND
            }

            async fn migrate(&self) -> Result<()> {
                self.run_migrations().await
            }

            async fn maintain(&self) -> Result<()> {
                self.analyze().await
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(self.reader()).await.map_err(sqlx_err)?;
                Ok(())
            }

            async fn create_tenant(&self, name: &str, actor: &str) -> Result<Tenant> {
                validate_tenant_name(name)?;
                let tenant = Tenant { id: TenantId::new(), name: name.to_owned(), created_at: catalog_time(Utc::now()) };
                let mut tx = self.begin_write().await.map_err(sqlx_err)?;
                let res = sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
                    .bind(tenant.id.0)
                    .bind(&tenant.name)
                    .bind(t(tenant.created_at))
                    .execute(&mut *tx)
                    .await;
                match res {
                    Err(e) if CatalogError::is_unique_violation(&e) => {
                        return Err(CatalogError::Conflict { what: "tenant" });
                    }
                    other => other.map_err(sqlx_err)?,
                };
                Self::audit_in(
                    &mut tx,
                    Some(tenant.id),
                    actor,
                    "tenant.created",
                    format!("tenant:{}", tenant.id),
                    serde_json::json!({ "name": name }),
                )
                .await
                .map_err(sqlx_err)?;
                tx.commit().await.map_err(sqlx_err)?;
                Ok(tenant)
            }

            async fn tenant_by_name(&self, name: &str) -> Result<Option<Tenant>> {
                let row = sqlx::query("SELECT id, name, created_at FROM tenants WHERE name = $1")
                    .bind(name)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(sqlx_err)?;
                row.as_ref().map(tenant_from_row).transpose()
            }

            async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>> {
                let row = sqlx::query("SELECT id, name, created_at FROM tenants WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(sqlx_err)?;
                row.as_ref().map(tenant_from_row).transpose()
            }

            async fn list_tenants(&self) -> Result<Vec<Tenant>> {
                let rows = sqlx::query("SELECT id, name, created_at FROM tenants ORDER BY name")
                    .fetch_all(self.reader())
                    .await
                    .map_err(sqlx_err)?;
                rows.iter().map(tenant_from_row).collect()
            }

            async fn create_api_key(&self, key: NewApiKey, actor: &str) -> Result<ApiKey> {
                if (key.role == KeyRole::Admin) != key.tenant_id.is_none() {
                    return Err(CatalogError::Invalid {
                        what: "api key",
                        reason: "admin keys have no tenant; tenant keys need one".into(),
                    });
                }
                let stored = ApiKey {
                    id: ApiKeyId::new(),
                    tenant_id: key.tenant_id,
                    role: key.role,
                    label: key.label,
                    prefix: key.prefix,
                    created_at: catalog_time(Utc::now()),
                    revoked_at: None,
                };
                let mut tx = self.begin_write().await.map_err(sqlx_err)?;
                let res = sqlx::query(
                    "INSERT INTO api_keys (id, tenant_id, role, label, prefix, key_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(stored.id.0)
                .bind(stored.tenant_id.map(|t| t.0))
                .bind(stored.role.as_str())
                .bind(&stored.label)
                .bind(&stored.prefix)
                .bind(&key.hash)
                .bind(t(stored.created_at))
                .execute(&mut *tx)
                .await;
                match res {
                    Err(e) if CatalogError::is_unique_violation(&e) => {
                        return Err(CatalogError::Conflict { what: "api key" });
                    }
                    Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                        return Err(CatalogError::NotFound { what: "tenant" });
                    }
                    other => other.map_err(sqlx_err)?,
                };
                Self::audit_in(
                    &mut tx,
                    stored.tenant_id,
                    actor,
                    "api_key.created",
                    format!("api_key:{}", stored.id),
                    serde_json::json!({ "role": stored.role.as_str(), "label": stored.label, "prefix": stored.prefix }),
                )
                .await
                .map_err(sqlx_err)?;
                tx.commit().await.map_err(sqlx_err)?;
                Ok(stored)
            }

            async fn api_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>> {
                let row = sqlx::query(
                    "SELECT id, tenant_id, role, label, prefix, created_at, revoked_at FROM api_keys \
                     WHERE key_hash = $1 AND revoked_at IS NULL",
                )
                .bind(hash)
                .fetch_optional(self.reader())
                .await
                .map_err(sqlx_err)?;
                row.as_ref().map(key_from_row).transpose()
            }

            async fn list_api_keys(&self, tenant: Option<TenantId>) -> Result<Vec<ApiKey>> {
                let rows = match tenant {
                    Some(tn) => sqlx::query(
                        "SELECT id, tenant_id, role, label, prefix, created_at, revoked_at FROM api_keys \
                         WHERE tenant_id = $1 ORDER BY created_at",
                    )
                    .bind(tn.0)
                    .fetch_all(self.reader())
                    .await,
                    None => sqlx::query(
                        "SELECT id, tenant_id, role, label, prefix, created_at, revoked_at FROM api_keys \
                         ORDER BY created_at",
                    )
                    .fetch_all(self.reader())
                    .await,
                }
                .map_err(sqlx_err)?;
                rows.iter().map(key_from_row).collect()
            }

            async fn revoke_api_key(&self, id: ApiKeyId, actor: &str) -> Result<()> {
                let mut tx = self.begin_write().await.map_err(sqlx_err)?;
                let tenant: Option<Option<uuid::Uuid>> = sqlx::query_scalar(
                    "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING tenant_id",
                )
                .bind(t(Utc::now()))
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(sqlx_err)?;
                let Some(tenant) = tenant else {
                    return Err(CatalogError::NotFound { what: "api key" });
                };
                Self::audit_in(
                    &mut tx,
                    tenant.map(TenantId),
                    actor,
                    "api_key.revoked",
                    format!("api_key:{id}"),
                    serde_json::json!({}),
                )
                .await
                .map_err(sqlx_err)?;
                tx.commit().await.map_err(sqlx_err)?;
                Ok(())
            }

            async fn add_pending_object(&self, pending: &PendingObject) -> Result<()> {
                let mut tx = self.begin_write().await.map_err(sqlx_err)?;
                sqlx::query(
                    "INSERT INTO pending_objects (store, object_key, owner, tenant_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&pending.store)
                .bind(&pending.object_key)
                .bind(&pending.owner)
                .bind(pending.tenant_id.0)
                .bind(t(pending.created_at))
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    if CatalogError::is_unique_violation(&e) {
                        CatalogError::Conflict { what: "pending object" }
                    } else {
                        sqlx_err(e)
                    }
                })?;
                tx.commit().await.map_err(sqlx_err)
            }

            async fn remove_pending_object(&self, store: &str, object_key: &str) -> Result<()> {
                let mut tx = self.begin_write().await.map_err(sqlx_err)?;
                let tenant: Option<uuid::Uuid> = sqlx::query_scalar(
                    "DELETE FROM pending_objects WHERE store = $1 AND object_key = $2 RETURNING tenant_id",
                )
                .bind(store)
                .bind(object_key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(sqlx_err)?;
                if let Some(tenant) = tenant {
                    // An upload that was never acknowledged and is now gone:
                    // worth a line in the history of the tenant's data.
                    Self::audit_in(
                        &mut tx,
                        Some(TenantId(tenant)),
                        "system",
                        "upload.discarded",
                        format!("object:{store}/{object_key}"),
                        serde_json::json!({}),
                    )
                    .await
                    .map_err(sqlx_err)?;
                }
                tx.commit().await.map_err(sqlx_err)
            }

            async fn pending_objects(&self) -> Result<Vec<PendingObject>> {
                let rows = sqlx::query(
                    "SELECT store, object_key, owner, tenant_id, created_at FROM pending_objects ORDER BY created_at",
                )
                .fetch_all(self.reader())
                .await
                .map_err(sqlx_err)?;
                rows.iter()
                    .map(|row| {
                        Ok(PendingObject {
                            store: row.try_get("store").map_err(sqlx_err)?,
                            object_key: row.try_get("object_key").map_err(sqlx_err)?,
                            owner: row.try_get("owner").map_err(sqlx_err)?,
                            tenant_id: TenantId(row.try_get("tenant_id").map_err(sqlx_err)?),
                            created_at: get_t(row, "created_at")?,
                        })
                    })
                    .collect()
            }

            async fn find_duplicate(
                &self,
                tenant: TenantId,
                idempotency_key: Option<&str>,
                upload_key: &str,
            ) -> Result<Option<Recording>> {
                if let Some(key) = idempotency_key {
                    let row = sqlx::query(&format!(
                        "SELECT {RECORDING_COLUMNS} FROM recordings WHERE tenant_id = $1 AND idempotency_key = $2"
                    ))
                    .bind(tenant.0)
                    .bind(key)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(sqlx_err)?;
                    if let Some(row) = row {
                        return Ok(Some(recording_from_row(&row)?.0));
                    }
                }
                let row = sqlx::query(&format!(
                    "SELECT {RECORDING_COLUMNS} FROM recordings WHERE tenant_id = $1 AND upload_key = $2"
                ))
                .bind(tenant.0)
                .bind(upload_key)
                .fetch_optional(self.reader())
                .await
                .map_err(sqlx_err)?;
                row.as_ref().map(|r| recording_from_row(r).map(|(rec, _)| rec)).transpose()
            }

            async fn commit_recording(&self, new: NewRecording) -> Result<CommitOutcome> {
                validate_new_recording(&new)?;
                let mut new = new;
                new.started_at = catalog_time(new.started_at);
                new.ended_at = catalog_time(new.ended_at);
                for p in &mut new.participants {
                    p.joined_at = catalog_time(p.joined_at);
                    p.left_at = p.left_at.map(catalog_time);
                }
                // A unique violation means another writer committed the same
                // conversation key or upload first: run again and find it.
                let mut attempts = 0;
                loop {
                    match self.try_commit(&new).await {
                        Ok(outcome) => return Ok(outcome),
                        Err(e) if CatalogError::is_retryable(&e) && attempts < 8 => {
                            attempts += 1;
                            tracing::debug!(attempts, "commit raced another writer; retrying");
                        }
                        Err(e) => return Err(sqlx_err(e)),
                    }
                }
            }

            async fn search_conversations(
                &self,
                tenant: TenantId,
                query: &ConversationQuery,
            ) -> Result<Page<ConversationSummary>> {
                let limit = query.limit.clamp(1, 1000);
                let tail = match &query.number {
                    Some(number) => Some(number_tail(number).ok_or_else(|| CatalogError::Invalid {
                        what: "number",
                        reason: "has no digits".into(),
                    })?),
                    None => None,
                };
                // A number or participant filter drives the query from the
                // search keys, already in time order; otherwise the time
                // index of the conversations does.
                let driver = match (&tail, &query.participant) {
                    (Some(tail), _) => Some(("number", tail.clone())),
                    (None, Some(who)) => Some(("participant", who.clone())),
                    (None, None) => None,
                };
                let (time_col, id_col) =
                    if driver.is_some() { ("k.started_at", "k.conversation_id") } else { ("c.started_at", "c.id") };
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT c.id, c.tenant_id, c.direction, c.external_number, c.company_number, c.started_at, \
                     c.ended_at, c.recording_count, c.created_at, c.updated_at, \
                     (SELECT COUNT(*) FROM participants p WHERE p.conversation_id = c.id) AS participant_count ",
                );
                // With no filter beyond the key, time range and cursor, the
                // page is cut from the key index alone (LIMIT inside), and
                // only the page's rows are joined and sorted. Otherwise the
                // join is filtered first, which may sort every match.
                let keys_only = driver.is_some()
                    && query.external_id.is_none()
                    && query.has_recording.is_none()
                    && !(tail.is_some() && query.participant.is_some());
                let push_time_and_cursor = |qb: &mut sqlx::QueryBuilder<'_, $db>, time_col: &str, id_col: &str| {
                    if let Some(from) = query.from {
                        qb.push(format!(" AND {time_col} >= ")).push_bind(t(from));
                    }
                    if let Some(to) = query.to {
                        qb.push(format!(" AND {time_col} < ")).push_bind(t(to));
                    }
                    if let Some(after) = query.after {
                        qb.push(format!(" AND ({time_col} < "))
                            .push_bind(t(after.started_at))
                            .push(format!(" OR ({time_col} = "))
                            .push_bind(t(after.started_at))
                            .push(format!(" AND {id_col} < "))
                            .push_bind(after.id.0)
                            .push("))");
                    }
                };
                match &driver {
                    Some((kind, value)) if keys_only => {
                        qb.push("FROM (SELECT conversation_id, started_at FROM conversation_keys WHERE tenant_id = ")
                            .push_bind(tenant.0)
                            .push(" AND kind = ")
                            .push_bind(*kind)
                            .push(" AND value = ")
                            .push_bind(value.clone());
                        push_time_and_cursor(&mut qb, "started_at", "conversation_id");
                        qb.push(" ORDER BY started_at DESC, conversation_id DESC LIMIT ")
                            .push_bind(i64::from(limit) + 1)
                            .push(") k CROSS JOIN conversations c WHERE c.id = k.conversation_id AND c.tenant_id = ")
                            .push_bind(tenant.0);
                    }
                    Some((kind, value)) => {
                        // CROSS JOIN fixes the join order in SQLite (keys
                        // first); PostgreSQL plans it as an inner join.
                        qb.push("FROM conversation_keys k CROSS JOIN conversations c WHERE k.tenant_id = ")
                            .push_bind(tenant.0)
                            .push(" AND k.kind = ")
                            .push_bind(*kind)
                            .push(" AND k.value = ")
                            .push_bind(value.clone())
                            .push(" AND c.id = k.conversation_id AND c.tenant_id = ")
                            .push_bind(tenant.0);
                        push_time_and_cursor(&mut qb, time_col, id_col);
                    }
                    None => {
                        qb.push("FROM conversations c WHERE c.tenant_id = ").push_bind(tenant.0);
                        push_time_and_cursor(&mut qb, time_col, id_col);
                    }
                }
                if let (Some(_), Some(who)) = (&tail, &query.participant) {
                    qb.push(" AND c.id IN (SELECT conversation_id FROM conversation_keys WHERE tenant_id = ")
                        .push_bind(tenant.0)
                        .push(" AND kind = 'participant' AND value = ")
                        .push_bind(who.clone())
                        .push(")");
                }
                if let Some((kind, value)) = &query.external_id {
                    qb.push(" AND c.id IN (SELECT conversation_id FROM conversation_external_ids WHERE tenant_id = ")
                        .push_bind(tenant.0);
                    if let Some(kind) = kind {
                        qb.push(" AND kind = ").push_bind(kind.clone());
                    }
                    qb.push(" AND value = ").push_bind(value.clone()).push(")");
                }
                match query.has_recording {
                    Some(true) => {
                        qb.push(" AND c.recording_count > 0");
                    }
                    Some(false) => {
                        qb.push(" AND c.recording_count = 0");
                    }
                    None => {}
                }
                qb.push(format!(" ORDER BY {time_col} DESC, {id_col} DESC LIMIT ")).push_bind(i64::from(limit) + 1);
                let rows = qb.build().fetch_all(self.reader()).await.map_err(sqlx_err)?;
                let ids: Vec<uuid::Uuid> = rows
                    .iter()
                    .take(limit as usize)
                    .map(|r| r.try_get("id"))
                    .collect::<std::result::Result<_, _>>()
                    .map_err(sqlx_err)?;
                let mut ext = self.external_ids_of(&ids).await?;
                let mut items = Vec::with_capacity(ids.len());
                for row in rows.iter().take(limit as usize) {
                    let id: uuid::Uuid = row.try_get("id").map_err(sqlx_err)?;
                    let recording_count: i32 = row.try_get("recording_count").map_err(sqlx_err)?;
                    let participant_count: i64 = row.try_get("participant_count").map_err(sqlx_err)?;
                    items.push(ConversationSummary {
                        conversation: conversation_from_row(row, ext.remove(&id).unwrap_or_default())?,
                        recording_count: u32::try_from(recording_count).unwrap_or(0),
                        participant_count: u32::try_from(participant_count).unwrap_or(0),
                    });
                }
                let next = if rows.len() > limit as usize {
                    items.last().map(|s: &ConversationSummary| Cursor {
                        started_at: s.conversation.started_at,
                        id: s.conversation.id,
                    })
                } else {
                    None
                };
                Ok(Page { items, next })
            }

            async fn conversation(
                &self,
                tenant: TenantId,
                id: ConversationId,
            ) -> Result<Option<ConversationDetail>> {
                let Some(row) = sqlx::query(
                    "SELECT id, tenant_id, direction, external_number, company_number, started_at, ended_at, \
                     created_at, updated_at FROM conversations WHERE id = $1 AND tenant_id = $2",
                )
                .bind(id.0)
                .bind(tenant.0)
                .fetch_optional(self.reader())
                .await
                .map_err(sqlx_err)?
                else {
                    return Ok(None);
                };
                let mut ext = self.external_ids_of(&[id.0]).await?;
                let conversation = conversation_from_row(&row, ext.remove(&id.0).unwrap_or_default())?;
                let participants = sqlx::query(
                    "SELECT id, conversation_id, side, address, display_name, joined_at, left_at \
                     FROM participants WHERE conversation_id = $1 AND tenant_id = $2 ORDER BY joined_at, id",
                )
                .bind(id.0)
                .bind(tenant.0)
                .fetch_all(self.reader())
                .await
                .map_err(sqlx_err)?
                .iter()
                .map(participant_from_row)
                .collect::<Result<Vec<_>>>()?;
                let rec_rows = sqlx::query(&format!(
                    "SELECT {RECORDING_COLUMNS} FROM recordings WHERE conversation_id = $1 AND tenant_id = $2 \
                     ORDER BY started_at, id"
                ))
                .bind(id.0)
                .bind(tenant.0)
                .fetch_all(self.reader())
                .await
                .map_err(sqlx_err)?;
                let copy_rows = sqlx::query(
                    "SELECT c.id, c.recording_id, c.store, c.object_key, c.size_bytes, c.sha256, c.created_at, \
                     c.verified_at FROM copies c JOIN recordings r ON r.id = c.recording_id \
                     WHERE r.conversation_id = $1 AND c.tenant_id = $2 ORDER BY c.created_at, c.id",
                )
                .bind(id.0)
                .bind(tenant.0)
                .fetch_all(self.reader())
                .await
                .map_err(sqlx_err)?;
                let copies = copy_rows.iter().map(copy_from_row).collect::<Result<Vec<_>>>()?;
                let mut recordings = Vec::with_capacity(rec_rows.len());
                for row in &rec_rows {
                    let (recording, codec) = recording_from_row(row)?;
                    let copies = copies.iter().filter(|c| c.recording_id == recording.id).cloned().collect();
                    recordings.push(RecordingWithCopies { recording, codec, copies });
                }
                Ok(Some(ConversationDetail { conversation, participants, recordings }))
            }

            async fn recording(&self, tenant: TenantId, id: RecordingId) -> Result<Option<Recording>> {
                let row = sqlx::query(&format!(
                    "SELECT {RECORDING_COLUMNS} FROM recordings WHERE id = $1 AND tenant_id = $2"
                ))
                .bind(id.0)
                .bind(tenant.0)
                .fetch_optional(self.reader())
                .await
                .map_err(sqlx_err)?;
                row.as_ref().map(|r| recording_from_row(r).map(|(rec, _)| rec)).transpose()
            }

            async fn list_copies(&self, store: &str, after: Option<&str>, limit: u32) -> Result<Vec<Copy>> {
                let rows = sqlx::query(
                    "SELECT id, recording_id, store, object_key, size_bytes, sha256, created_at, verified_at \
                     FROM copies WHERE store = $1 AND object_key > $2 ORDER BY object_key LIMIT $3",
                )
                .bind(store)
                .bind(after.unwrap_or(""))
                .bind(i64::from(limit))
                .fetch_all(self.reader())
                .await
                .map_err(sqlx_err)?;
                rows.iter().map(copy_from_row).collect()
            }

            async fn known_object_keys(&self, store: &str, keys: &[String]) -> Result<__HashSet<String>> {
                let mut known = __HashSet::new();
                for chunk in keys.chunks(500) {
                    // Pending first: rows only move from pending to copies, so a
                    // commit between the two queries cannot hide a key.
                    for table in ["pending_objects", "copies"] {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                            "SELECT object_key FROM {table} WHERE store = "
                        ));
                        qb.push_bind(store).push(" AND object_key IN (");
                        let mut sep = qb.separated(", ");
                        for k in chunk {
                            sep.push_bind(k.clone());
                        }
                        qb.push(")");
                        for row in qb.build().fetch_all(self.reader()).await.map_err(sqlx_err)? {
                            known.insert(row.try_get("object_key").map_err(sqlx_err)?);
                        }
                    }
                }
                Ok(known)
            }

            async fn mark_copy_verified(&self, id: CopyId, at: DateTime<Utc>) -> Result<()> {
                let mut tx = self.begin_write().await.map_err(sqlx_err)?;
                let tenant: Option<uuid::Uuid> =
                    sqlx::query_scalar("UPDATE copies SET verified_at = $1 WHERE id = $2 RETURNING tenant_id")
                        .bind(t(at))
                        .bind(id.0)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(sqlx_err)?;
                let Some(tenant) = tenant else {
                    return Err(CatalogError::NotFound { what: "copy" });
                };
                Self::audit_in(
                    &mut tx,
                    Some(TenantId(tenant)),
                    "system",
                    "copy.verified",
                    format!("copy:{id}"),
                    serde_json::json!({}),
                )
                .await
                .map_err(sqlx_err)?;
                tx.commit().await.map_err(sqlx_err)
            }

            async fn audit_events(
                &self,
                tenant: Option<TenantId>,
                after: i64,
                limit: u32,
            ) -> Result<Vec<AuditEvent>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT seq, tenant_id, at, actor, action, subject, detail FROM audit_log WHERE seq > ",
                );
                qb.push_bind(after);
                if let Some(tn) = tenant {
                    qb.push(" AND tenant_id = ").push_bind(tn.0);
                }
                qb.push(" ORDER BY seq LIMIT ").push_bind(i64::from(limit));
                let rows = qb.build().fetch_all(self.reader()).await.map_err(sqlx_err)?;
                rows.iter()
                    .map(|row| {
                        let tenant: Option<uuid::Uuid> = row.try_get("tenant_id").map_err(sqlx_err)?;
                        let Json(detail): Json<serde_json::Value> = row.try_get("detail").map_err(sqlx_err)?;
                        Ok(AuditEvent {
                            seq: row.try_get("seq").map_err(sqlx_err)?,
                            tenant_id: tenant.map(TenantId),
                            at: get_t(row, "at")?,
                            actor: row.try_get("actor").map_err(sqlx_err)?,
                            action: row.try_get("action").map_err(sqlx_err)?,
                            subject: row.try_get("subject").map_err(sqlx_err)?,
                            detail,
                        })
                    })
                    .collect()
            }

            async fn totals(&self) -> Result<Totals> {
                let row = sqlx::query(
                    "SELECT (SELECT COUNT(*) FROM tenants) AS tenants, \
                     (SELECT COUNT(*) FROM conversations) AS conversations, \
                     (SELECT COUNT(*) FROM recordings) AS recordings, \
                     (SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM recordings) AS bytes",
                )
                .fetch_one(self.reader())
                .await
                .map_err(sqlx_err)?;
                let get = |col: &str| -> Result<u64> {
                    let v: i64 = row.try_get(col).map_err(sqlx_err)?;
                    Ok(u64::try_from(v).unwrap_or(0))
                };
                Ok(Totals {
                    tenants: get("tenants")?,
                    conversations: get("conversations")?,
                    recordings: get("recordings")?,
                    recording_bytes: get("bytes")?,
                })
            }

            async fn bench_seed(&self, tenant: TenantId, count: u64, seed: u64) -> Result<()> {
                let mut rng = seed | 1;
                let mut next = move || {
                    // xorshift64*: deterministic, dependency-free.
                    rng ^= rng >> 12;
                    rng ^= rng << 25;
                    rng ^= rng >> 27;
                    rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
                };
                let base = Utc::now() - chrono::Duration::days(365);
                let mut done = 0u64;
                while done < count {
                    let batch = (count - done).min(500);
                    let mut rows = Vec::with_capacity(batch as usize);
                    for i in 0..batch {
                        let n = done + i;
                        let started = base + chrono::Duration::seconds((n * 31) as i64 % (365 * 86_400));
                        let number = format!("+7912{:07}", next() % 10_000_000);
                        let ext = format!("{}", 100 + next() % 400);
                        let linkedid = format!("{}.{}", started.timestamp(), n);
                        rows.push((ConversationId::new().0, started, number, ext, linkedid));
                    }
                    let mut tx = self.begin_write().await.map_err(sqlx_err)?;
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO conversations (id, tenant_id, direction, external_number, company_number, \
                         started_at, ended_at, recording_count, created_at, updated_at) ",
                    );
                    qb.push_values(&rows, |mut b, (id, started, number, ext, _)| {
                        b.push_bind(*id)
                            .push_bind(tenant.0)
                            .push_bind("inbound")
                            .push_bind(number.clone())
                            .push_bind(ext.clone())
                            .push_bind(t(*started))
                            .push_bind(t(*started + chrono::Duration::seconds(120)))
                            .push_bind(1i32)
                            .push_bind(t(*started))
                            .push_bind(t(*started));
                    });
                    qb.build().execute(&mut *tx).await.map_err(sqlx_err)?;
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO conversation_keys (tenant_id, kind, value, conversation_id, started_at) ",
                    );
                    let keys = rows.iter().flat_map(|(id, started, number, ext, _)| {
                        [("number", number_tail(number).unwrap_or_default()), ("participant", ext.clone())]
                            .map(|(kind, value)| (*id, *started, kind, value))
                    });
                    qb.push_values(keys, |mut b, (id, started, kind, value)| {
                        b.push_bind(tenant.0).push_bind(kind).push_bind(value).push_bind(id).push_bind(t(started));
                    });
                    qb.build().execute(&mut *tx).await.map_err(sqlx_err)?;
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO conversation_external_ids (tenant_id, kind, value, conversation_id) ",
                    );
                    qb.push_values(&rows, |mut b, (id, _, _, _, linkedid)| {
                        b.push_bind(tenant.0)
                            .push_bind("asterisk_linkedid")
                            .push_bind(linkedid.clone())
                            .push_bind(*id);
                    });
                    qb.build().execute(&mut *tx).await.map_err(sqlx_err)?;
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO participants (id, tenant_id, conversation_id, side, address, display_name, \
                         joined_at, left_at) ",
                    );
                    qb.push_values(&rows, |mut b, (id, started, _, ext, _)| {
                        b.push_bind(ParticipantId::new().0)
                            .push_bind(tenant.0)
                            .push_bind(*id)
                            .push_bind("company")
                            .push_bind(ext.clone())
                            .push_bind(None::<String>)
                            .push_bind(t(*started))
                            .push_bind(t(*started + chrono::Duration::seconds(120)));
                    });
                    qb.build().execute(&mut *tx).await.map_err(sqlx_err)?;
                    tx.commit().await.map_err(sqlx_err)?;
                    done += batch;
                }
                Ok(())
            }
        }
    };
}

pub(crate) use impl_catalog;

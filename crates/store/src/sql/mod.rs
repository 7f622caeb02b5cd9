//! The catalog's SQL, one body for both backends.
//!
//! SQLite and PostgreSQL both accept `$N` placeholders, `RETURNING`, `ON
//! CONFLICT DO NOTHING` and partial unique indexes, so one text of each
//! statement serves both. What differs is behind [`Dialect`]: how values are
//! bound and columns read (times are INTEGER microseconds in SQLite,
//! TIMESTAMPTZ in PostgreSQL), how a writing transaction starts, the
//! migrations, the planner statistics and the probe for room after a full
//! disk. Every type that implements [`Dialect`] is a [`Catalog`].
//!
//! - [`stmt`]: statements and their values; the connection and row traits a
//!   backend implements.
//! - [`error`]: errors inside, and how they become [`CatalogError`]s.
//! - [`rows`]: rows into the model's types.
//! - [`migrate`], [`tenants`], [`keys`], [`ingest`], [`commit`], [`search`],
//!   [`copies`], [`audit`], [`maintenance`], [`destinations`], [`outbox`]
//!   (deliveries), [`alerts`], [`retention`] (rules, holds, the trash, the
//!   purge), [`sessions`] (web console sessions): the catalog's operations, by concern.
//!   (deliveries), [`alerts`], [`encryption`]: the catalog's operations, by
//!   concern.

mod alerts;
mod assurance;
mod audit;
mod capacity;
mod commit;
mod copies;
mod destinations;
mod encryption;
mod error;
mod ingest;
mod keys;
mod maintenance;
mod migrate;
mod outbox;
mod retention;
mod rows;
mod search;
mod sessions;
mod stmt;
mod storage;
mod tenants;

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use callvault_model::*;
use chrono::{DateTime, Utc};
use sqlx::Database;
use sqlx::pool::PoolConnection;

pub(crate) use error::catalog_error;
pub(crate) use migrate::Migration;
pub(crate) use stmt::{SqlConn, SqlRow, Stmt, Value};

use crate::assurance::*;
use crate::catalog::*;
use crate::outbox::*;
use crate::retention::*;
use serde_json::Value as Json;
use uuid::Uuid;

/// What a backend provides for the shared SQL to run on it.
pub(crate) trait Dialect: Send + Sync + 'static {
    type Db: Database<Connection = Self::Conn>;
    /// Binds values and reads columns, times included, as this backend
    /// stores them.
    type Conn: SqlConn + sqlx::Connection<Database = Self::Db>;

    /// The backend's name, for logs and metrics.
    const BACKEND: &'static str;
    const MIGRATIONS: &'static [Migration];
    /// Statements that start the migration transaction: the migrations table
    /// in this dialect, and whatever keeps two servers from migrating at once.
    const MIGRATION_PREAMBLE: &'static [&'static str];
    /// What ends the sub-select of the deliveries a claim takes (alias
    /// `d`): PostgreSQL locks them and skips rows another claim holds, so
    /// claimers running at once never take the same row; SQLite needs
    /// nothing, its write transaction already excludes every other writer.
    const CLAIM_LOCK: &'static str;
    /// Settings for the transaction a conversation search runs in (each a
    /// statement, `SET LOCAL` or nothing): PostgreSQL plans the console's
    /// row-by-row filters serially, since a parallel scan of the time index
    /// reads far past the page and its workers' start-up outweighs a
    /// search of a few milliseconds.
    const SEARCH_SETTINGS: &'static [&'static str];

    /// A connection to read with.
    fn read(&self) -> impl Future<Output = Result<PoolConnection<Self::Db>, sqlx::Error>> + Send;

    /// A transaction to write in.
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>> + Send;

    /// Refresh the query planner's statistics of the catalog's tables.
    fn analyze(&self) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Whether there is room to write again, after a write found the storage
    /// full; fails as a write would.
    fn probe_room(&self) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// What the writes so far showed about the storage.
    fn writes(&self) -> &WriteHealth;
}

/// What the writes so far showed about the catalog's storage, for
/// [`Catalog::check_writable`].
#[derive(Debug, Default)]
pub(crate) struct WriteHealth {
    /// The last write failed for want of room, and none succeeded since.
    storage_full: AtomicBool,
}

impl WriteHealth {
    pub(crate) fn storage_was_full(&self) -> bool {
        self.storage_full.load(Ordering::Relaxed)
    }

    /// Note how a write ended, and report it as the catalog does.
    fn note<T>(&self, result: error::Result<T>) -> Result<T> {
        match result {
            Ok(value) => {
                if self.storage_full.swap(false, Ordering::Relaxed) {
                    tracing::info!("catalog writes succeed again");
                }
                Ok(value)
            }
            Err(e) => {
                if e.is_storage_full() && !self.storage_full.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "catalog storage full");
                }
                Err(e.into())
            }
        }
    }
}

#[async_trait]
impl<D: Dialect> Catalog for D {
    fn backend(&self) -> &'static str {
        D::BACKEND
    }

    async fn migrate(&self) -> Result<()> {
        self.writes().note(migrate::run(self).await)
    }

    async fn ping(&self) -> Result<()> {
        Ok(maintenance::ping(self).await?)
    }

    async fn check_writable(&self) -> Result<()> {
        self.writes().note(maintenance::check_writable(self).await)
    }

    async fn maintain(&self) -> Result<()> {
        self.analyze().await.map_err(catalog_error)
    }

    async fn create_tenant(&self, name: &str, actor: &str) -> Result<Tenant> {
        self.writes().note(tenants::create(self, name, actor).await)
    }

    async fn tenant_by_name(&self, name: &str) -> Result<Option<Tenant>> {
        Ok(tenants::by_name(self, name).await?)
    }

    async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>> {
        Ok(tenants::by_id(self, id).await?)
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        Ok(tenants::list(self).await?)
    }

    async fn create_api_key(&self, key: NewApiKey, actor: &str) -> Result<ApiKey> {
        self.writes().note(keys::create(self, key, actor).await)
    }

    async fn api_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>> {
        Ok(keys::active_by_hash(self, hash).await?)
    }

    async fn list_api_keys(&self, tenant: Option<TenantId>) -> Result<Vec<ApiKey>> {
        Ok(keys::list(self, tenant).await?)
    }

    async fn revoke_api_key(&self, id: ApiKeyId, actor: &str) -> Result<()> {
        self.writes().note(keys::revoke(self, id, actor).await)
    }

    async fn add_pending_object(&self, pending: &PendingObject) -> Result<()> {
        self.writes().note(ingest::add_pending(self, pending).await)
    }

    async fn remove_pending_object(&self, store: &str, object_key: &str) -> Result<()> {
        self.writes().note(ingest::remove_pending(self, store, object_key).await)
    }

    async fn pending_objects(&self) -> Result<Vec<PendingObject>> {
        Ok(ingest::pending(self).await?)
    }

    async fn find_duplicate(
        &self,
        tenant: TenantId,
        idempotency_key: Option<&str>,
        upload_key: &str,
    ) -> Result<Option<Recording>> {
        let mut conn = self.read().await.map_err(catalog_error)?;
        Ok(ingest::find_duplicate(&mut *conn, tenant, idempotency_key, upload_key).await?)
    }

    async fn commit_recording(&self, new: NewRecording) -> Result<CommitOutcome> {
        self.writes().note(commit::commit_recording(self, new).await)
    }

    async fn record_empty_session(&self, new: NewEmptySession) -> Result<EmptySessionOutcome> {
        self.writes().note(commit::record_empty_session(self, new).await)
    }

    async fn search_conversations(
        &self,
        tenant: TenantId,
        query: &ConversationQuery,
    ) -> Result<Page<ConversationSummary>> {
        Ok(search::conversations(self, tenant, query).await?)
    }

    async fn conversation(
        &self,
        tenant: TenantId,
        id: ConversationId,
    ) -> Result<Option<ConversationDetail>> {
        Ok(search::conversation(self, tenant, id).await?)
    }

    async fn recording(&self, tenant: TenantId, id: RecordingId) -> Result<Option<Recording>> {
        Ok(search::recording(self, tenant, id).await?)
    }

    async fn list_copies(&self, store: &str, after: Option<&str>, limit: u32) -> Result<Vec<Copy>> {
        Ok(copies::list(self, store, after, limit).await?)
    }

    async fn known_object_keys(&self, store: &str, keys: &[String]) -> Result<HashSet<String>> {
        Ok(copies::known_object_keys(self, store, keys).await?)
    }

    async fn mark_copy_verified(&self, id: CopyId, at: DateTime<Utc>) -> Result<()> {
        self.writes().note(copies::mark_verified(self, id, at).await)
    }

    async fn audit_events(
        &self,
        tenant: Option<TenantId>,
        after: i64,
        limit: u32,
    ) -> Result<Vec<AuditEvent>> {
        Ok(audit::events(self, tenant, after, limit).await?)
    }

    async fn totals(&self) -> Result<Totals> {
        Ok(maintenance::totals(self).await?)
    }

    async fn create_destination(
        &self,
        new: NewDestination,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Destination> {
        self.writes().note(destinations::create(self, new, actor, now).await)
    }

    async fn list_destinations(&self, tenant: TenantId) -> Result<Vec<Destination>> {
        Ok(destinations::list(self, tenant).await?)
    }

    async fn get_destination(
        &self,
        tenant: Option<TenantId>,
        id: Uuid,
    ) -> Result<Option<Destination>> {
        Ok(destinations::get(self, tenant, id).await?)
    }

    async fn update_destination(
        &self,
        tenant: Option<TenantId>,
        id: Uuid,
        update: DestinationUpdate,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Destination>> {
        self.writes().note(destinations::update(self, tenant, id, update, actor, now).await)
    }

    async fn delete_destination(
        &self,
        tenant: Option<TenantId>,
        id: Uuid,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.writes().note(destinations::delete(self, tenant, id, actor, now).await)
    }

    async fn disable_destination(
        &self,
        id: Uuid,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.writes().note(destinations::disable(self, id, reason, now).await)
    }

    async fn replace_destination_secrets(
        &self,
        id: Uuid,
        expected: &Json,
        new: &Json,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.writes().note(destinations::replace_secrets(self, id, expected, new, now).await)
    }

    async fn try_lock(
        &self,
        name: &str,
        owner: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.writes().note(destinations::try_lock(self, name, owner, ttl, now).await)
    }

    async fn unlock(&self, name: &str, owner: &str) -> Result<()> {
        self.writes().note(destinations::unlock(self, name, owner).await)
    }

    async fn enqueue_delivery(&self, new: NewDelivery, now: DateTime<Utc>) -> Result<Delivery> {
        self.writes().note(outbox::enqueue(self, new, now).await)
    }

    async fn claim_deliveries(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        self.writes().note(outbox::claim(self, owner, now, lease, limit).await)
    }

    async fn checkpoint_delivery(
        &self,
        id: Uuid,
        owner: &str,
        progress: &Json,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<bool> {
        self.writes().note(outbox::checkpoint(self, id, owner, progress, now, lease).await)
    }

    async fn finish_delivery(
        &self,
        id: Uuid,
        owner: &str,
        fin: DeliveryFinish,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.writes().note(outbox::finish(self, id, owner, fin, now).await)
    }

    async fn get_delivery(&self, tenant: Option<TenantId>, id: Uuid) -> Result<Option<Delivery>> {
        Ok(outbox::get(self, tenant, id).await?)
    }

    async fn list_deliveries(
        &self,
        tenant: Option<TenantId>,
        query: &DeliveryQuery,
    ) -> Result<Vec<Delivery>> {
        Ok(outbox::list(self, tenant, query).await?)
    }

    async fn delivery_attempts(
        &self,
        tenant: Option<TenantId>,
        id: Uuid,
    ) -> Result<Vec<DeliveryAttempt>> {
        Ok(outbox::attempts(self, tenant, id).await?)
    }

    async fn retry_delivery(
        &self,
        tenant: Option<TenantId>,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery>> {
        self.writes().note(outbox::retry(self, tenant, id, now).await)
    }

    async fn delivery_stats(&self, now: DateTime<Utc>) -> Result<DeliveryStats> {
        Ok(outbox::stats(self, now).await?)
    }

    async fn delivery_backlog(&self, tenant: TenantId) -> Result<Vec<DestinationBacklog>> {
        Ok(outbox::backlog(self, tenant).await?)
    }

    async fn raise_alert(&self, new: NewAlert, now: DateTime<Utc>) -> Result<(Alert, bool)> {
        self.writes().note(alerts::raise(self, new, now).await)
    }

    async fn resolve_alert(
        &self,
        tenant: Option<TenantId>,
        kind: &str,
        subject: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.writes().note(alerts::resolve(self, tenant, kind, subject, now).await)
    }

    async fn get_alert(&self, tenant: Option<TenantId>, id: Uuid) -> Result<Option<Alert>> {
        Ok(alerts::get(self, tenant, id).await?)
    }

    async fn list_alerts(
        &self,
        scope: AlertScope,
        open_only: bool,
        limit: u32,
    ) -> Result<Vec<Alert>> {
        Ok(alerts::list(self, scope, open_only, limit).await?)
    }

    async fn open_alert_counts(&self) -> Result<Vec<(String, String, u64)>> {
        Ok(alerts::open_counts(self).await?)
    }

    async fn create_retention_rule(
        &self,
        new: NewRetentionRule,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<RetentionRule> {
        self.writes().note(retention::create_rule(self, new, actor, now).await)
    }

    async fn list_retention_rules(&self, tenant: Option<TenantId>) -> Result<Vec<RetentionRule>> {
        Ok(retention::list_rules(self, tenant).await?)
    }

    async fn delete_retention_rule(
        &self,
        tenant: Option<TenantId>,
        id: Uuid,
        actor: &str,
    ) -> Result<bool> {
        self.writes().note(retention::delete_rule(self, tenant, id, actor).await)
    }

    async fn create_hold(
        &self,
        new: NewHold,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<LegalHold> {
        self.writes().note(retention::create_hold(self, new, actor, now).await)
    }

    async fn list_holds(
        &self,
        tenant: Option<TenantId>,
        in_force_only: bool,
    ) -> Result<Vec<LegalHold>> {
        Ok(retention::list_holds(self, tenant, in_force_only).await?)
    }

    async fn release_hold(
        &self,
        tenant: Option<TenantId>,
        id: Uuid,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.writes().note(retention::release_hold(self, tenant, id, actor, now).await)
    }

    async fn retention_candidates(
        &self,
        tenant: TenantId,
        started_before: DateTime<Utc>,
        after: Option<RecordingId>,
        limit: u32,
    ) -> Result<Vec<RetentionCandidate>> {
        Ok(retention::candidates(self, tenant, started_before, after, limit).await?)
    }

    async fn live_recording_count(&self, tenant: TenantId) -> Result<u64> {
        Ok(retention::live_count(self, tenant).await?)
    }

    async fn trash_recordings(
        &self,
        tenant: TenantId,
        ids: &[RecordingId],
        cause: &TrashCause,
        now: DateTime<Utc>,
    ) -> Result<TrashOutcome> {
        self.writes().note(retention::trash_recordings(self, tenant, ids, cause, now).await)
    }

    async fn trash_conversation(
        &self,
        tenant: TenantId,
        id: ConversationId,
        cause: &TrashCause,
        now: DateTime<Utc>,
    ) -> Result<TrashOutcome> {
        self.writes().note(retention::trash_conversation(self, tenant, id, cause, now).await)
    }

    async fn list_trash(
        &self,
        tenant: Option<TenantId>,
        after: Option<RecordingId>,
        limit: u32,
    ) -> Result<Vec<TrashedRecording>> {
        Ok(retention::list_trash(self, tenant, after, limit).await?)
    }

    async fn restore_trashed(
        &self,
        tenant: Option<TenantId>,
        id: Uuid,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<RecordingId>> {
        self.writes().note(retention::restore(self, tenant, id, actor, now).await)
    }

    async fn purge_due(
        &self,
        tenant: Option<TenantId>,
        trashed_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<RecordingId>> {
        Ok(retention::purge_due(self, tenant, trashed_before, limit).await?)
    }

    async fn begin_purge(&self, id: RecordingId, now: DateTime<Utc>) -> Result<PurgeStart> {
        self.writes().note(retention::begin_purge(self, id, now).await)
    }

    async fn remove_purged_copy(&self, id: CopyId) -> Result<()> {
        self.writes().note(retention::remove_purged_copy(self, id).await)
    }

    async fn finish_purge(&self, id: RecordingId, actor: &str, now: DateTime<Utc>) -> Result<bool> {
        self.writes().note(retention::finish_purge(self, id, actor, now).await)
    }

    async fn purge_empty_conversations(
        &self,
        trashed_before: DateTime<Utc>,
        actor: &str,
        limit: u32,
    ) -> Result<u64> {
        self.writes()
            .note(retention::purge_empty_conversations(self, trashed_before, actor, limit).await)
    }

    async fn confirm_retention_run(
        &self,
        tenant: TenantId,
        max_count: u64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.writes().note(retention::confirm(self, tenant, max_count, actor, now).await)
    }

    async fn retention_confirmation(&self, tenant: TenantId) -> Result<Option<u64>> {
        Ok(retention::confirmation(self, tenant).await?)
    }

    async fn consume_retention_confirmation(&self, tenant: TenantId) -> Result<()> {
        self.writes().note(retention::consume_confirmation(self, tenant).await)
    }

    async fn trash_stats(&self) -> Result<Vec<TrashStats>> {
        Ok(retention::stats(self).await?)
    }

    async fn import_calls(
        &self,
        tenant: TenantId,
        calls: &[NewCall],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<CallImport> {
        self.writes().note(assurance::import(self, tenant, calls, actor, now).await)
    }

    async fn calls_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Call>> {
        Ok(assurance::due(self, now, limit).await?)
    }

    async fn call(&self, tenant: TenantId, id: Uuid) -> Result<Option<Call>> {
        Ok(assurance::get(self, tenant, id).await?)
    }

    async fn call_match_candidates(
        &self,
        tenant: TenantId,
        id_values: &[String],
        number_tails: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<MatchCandidates> {
        Ok(assurance::candidates(self, tenant, id_values, number_tails, from, to).await?)
    }

    async fn conversation_facts(
        &self,
        tenant: TenantId,
        conversations: &[ConversationId],
    ) -> Result<Vec<ConversationFacts>> {
        Ok(assurance::facts(self, tenant, conversations).await?)
    }

    async fn record_call_checks(
        &self,
        checks: &[CallCheck],
        now: DateTime<Utc>,
    ) -> Result<Vec<Finding>> {
        self.writes().note(assurance::record_checks(self, checks, now).await)
    }

    async fn cdr_tenants(&self) -> Result<Vec<TenantId>> {
        Ok(assurance::cdr_tenants(self).await?)
    }

    async fn orphan_candidates(
        &self,
        tenant: TenantId,
        after: Option<(DateTime<Utc>, Uuid)>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OrphanCandidate>> {
        Ok(assurance::orphan_candidates(self, tenant, after, until, limit).await?)
    }

    async fn record_orphans(
        &self,
        tenant: TenantId,
        orphans: &[(OrphanCandidate, NewFinding)],
        now: DateTime<Utc>,
    ) -> Result<Vec<Finding>> {
        self.writes().note(assurance::record_orphans(self, tenant, orphans, now).await)
    }

    async fn assurance_cursor(&self, name: &str) -> Result<Option<(DateTime<Utc>, Option<Uuid>)>> {
        Ok(assurance::cursor(self, name).await?)
    }

    async fn set_assurance_cursor(
        &self,
        name: &str,
        at: DateTime<Utc>,
        id: Option<Uuid>,
    ) -> Result<()> {
        self.writes().note(assurance::set_cursor(self, name, at, id).await)
    }

    async fn assurance_summary(
        &self,
        tenant: Option<TenantId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<AssuranceSummary> {
        Ok(assurance::summary(self, tenant, from, to).await?)
    }

    async fn list_findings(
        &self,
        tenant: Option<TenantId>,
        query: &FindingQuery,
    ) -> Result<Vec<Finding>> {
        Ok(assurance::list(self, tenant, query).await?)
    }

    async fn assurance_gauges(&self) -> Result<(u64, Vec<(TenantId, String, u64)>)> {
        Ok(assurance::gauges(self).await?)
    }

    async fn bench_seed_assurance(
        &self,
        tenant: TenantId,
        count: u64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.writes().note(assurance::bench_seed(self, tenant, count, now).await)
    }

    async fn bench_seed(&self, tenant: TenantId, count: u64, seed: u64) -> Result<()> {
        self.writes().note(maintenance::bench_seed(self, tenant, count, seed).await)
    }

    async fn recording_copies(
        &self,
        tenant: TenantId,
        recording: RecordingId,
    ) -> Result<Vec<crate::storage::StoredCopy>> {
        Ok(storage::recording_copies(self, tenant, recording).await?)
    }

    async fn storage_scan(
        &self,
        tenant: Option<TenantId>,
        after: Option<RecordingId>,
        limit: u32,
    ) -> Result<Vec<crate::storage::RecordingCopies>> {
        Ok(storage::scan(self, tenant, after, limit).await?)
    }

    async fn add_copy(
        &self,
        new: crate::storage::NewCopy,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<crate::storage::StoredCopy> {
        self.writes().note(storage::add_copy(self, new, actor, now).await)
    }

    async fn begin_copy_delete(
        &self,
        copy: CopyId,
        min_remaining: u32,
        keep_on: &[String],
        actor: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.writes().note(
            storage::begin_delete(self, copy, min_remaining, keep_on, actor, reason, now).await,
        )
    }

    async fn finish_copy_delete(&self, copy: CopyId, actor: &str) -> Result<bool> {
        self.writes().note(storage::finish_delete(self, copy, actor).await)
    }

    async fn deleting_copies(&self, limit: u32) -> Result<Vec<crate::storage::StoredCopy>> {
        Ok(storage::deleting(self, limit).await?)
    }

    async fn storage_policy(
        &self,
        tenant: TenantId,
    ) -> Result<Option<crate::storage::StoragePolicy>> {
        Ok(storage::get_policy(self, tenant).await?)
    }

    async fn set_storage_policy(
        &self,
        tenant: TenantId,
        policy: Option<&crate::storage::StoragePolicy>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.writes().note(storage::set_policy(self, tenant, policy, actor, now).await)
    }

    async fn list_storage_policies(
        &self,
    ) -> Result<Vec<(TenantId, crate::storage::StoragePolicy)>> {
        Ok(storage::list_policies(self).await?)
    }

    async fn copy_histogram(&self) -> Result<Vec<(u32, u64)>> {
        Ok(storage::copy_histogram(self).await?)
    }

    // --- capacity and scrubbing ---------------------------------------------

    async fn storage_usage(&self) -> Result<Vec<crate::capacity::StoreUsage>> {
        Ok(capacity::usage(self).await?)
    }

    async fn record_storage_sample(&self, sample: &crate::capacity::StorageSample) -> Result<()> {
        self.writes().note(capacity::record_sample(self, sample).await)
    }

    async fn storage_samples(
        &self,
        store: &str,
        tenant: Option<TenantId>,
        since: chrono::NaiveDate,
    ) -> Result<Vec<crate::capacity::StorageSample>> {
        Ok(capacity::samples(self, store, tenant, since).await?)
    }

    async fn scrub_copies(
        &self,
        store: &str,
        after: &str,
        limit: u32,
    ) -> Result<Vec<crate::capacity::TenantCopy>> {
        Ok(capacity::scrub_copies(self, store, after, limit).await?)
    }

    async fn save_scrub_run(&self, run: &crate::capacity::ScrubRun) -> Result<()> {
        self.writes().note(capacity::save_run(self, run).await)
    }

    async fn scrub_runs(
        &self,
        store: Option<&str>,
        limit: u32,
    ) -> Result<Vec<crate::capacity::ScrubRun>> {
        Ok(capacity::runs(self, store, limit).await?)
    }

    async fn add_scrub_finding(&self, finding: &crate::capacity::ScrubFinding) -> Result<()> {
        self.writes().note(capacity::add_finding(self, finding).await)
    }

    async fn scrub_findings(&self, run_id: Uuid) -> Result<Vec<crate::capacity::ScrubFinding>> {
        Ok(capacity::findings(self, run_id).await?)
    }

    async fn master_keys(&self) -> Result<Vec<MasterKeyRecord>> {
        Ok(encryption::master_keys(self).await?)
    }

    async fn register_master_key(
        &self,
        id: &str,
        check_value: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        self.writes().note(encryption::register_master_key(self, id, check_value, now).await)
    }

    async fn set_tenant_encryption(
        &self,
        tenant: TenantId,
        enabled: bool,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.writes().note(encryption::set_tenant(self, tenant, enabled, actor, now).await)
    }

    async fn tenant_encryption(&self, tenant: TenantId) -> Result<bool> {
        Ok(encryption::tenant(self, tenant).await?)
    }

    async fn encrypted_tenants(&self) -> Result<Vec<TenantId>> {
        Ok(encryption::encrypted_tenants(self).await?)
    }

    async fn recording_key(
        &self,
        tenant: TenantId,
        recording: RecordingId,
    ) -> Result<Option<RecordingKey>> {
        Ok(encryption::get(self, tenant, recording).await?)
    }

    async fn recording_keys_not_under(
        &self,
        master_key_id: &str,
        after: Option<RecordingId>,
        limit: u32,
    ) -> Result<Vec<RecordingKey>> {
        Ok(encryption::not_under(self, master_key_id, after, limit).await?)
    }

    async fn rewrap_recording_keys(
        &self,
        rewraps: &[Rewrap],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.writes().note(encryption::rewrap(self, rewraps, actor, now).await)
    }

    // --- console sessions (issue 16) ----------------------------------------

    async fn create_console_session(&self, session: &ConsoleSession, actor: &str) -> Result<()> {
        self.writes().note(sessions::create(self, session, actor).await)
    }

    async fn console_session(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(ApiKey, ConsoleSession)>> {
        Ok(sessions::live(self, id, now).await?)
    }

    async fn touch_console_session(
        &self,
        id: &str,
        now: DateTime<Utc>,
        idle_expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.writes().note(sessions::touch(self, id, now, idle_expires_at).await)
    }

    async fn set_console_session_tenant(
        &self,
        id: &str,
        tenant: Option<TenantId>,
        actor: &str,
    ) -> Result<()> {
        self.writes().note(sessions::set_tenant(self, id, tenant, actor).await)
    }

    async fn delete_console_session(&self, id: &str, actor: &str) -> Result<bool> {
        self.writes().note(sessions::delete(self, id, actor).await)
    }

    async fn purge_console_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        self.writes().note(sessions::purge(self, now).await)
    }
}

//! Delivery: every stored call reaches every destination.
//!
//! ```text
//! Catalog::commit_recording ──(same transaction)──► deliveries rows (pending, due at settle time)
//!        │
//! Runner (one per serve process) ── claim_deliveries (lease, FOR UPDATE SKIP LOCKED) ──► Job
//!        │                                     │
//!        │                       Channel::deliver(job) ─► e-mail │ webhook │ amoCRM │ Bitrix24 │ bucket
//!        │                                     │ (checkpoints its progress while it holds the lease)
//!        ◄────────── outbox::decide(policy, attempt, facts) ── retry-wait │ delivered │ verified │ dead
//! ```
//!
//! Module map:
//! - [`channel`]: the [`channel::Channel`] trait every destination kind
//!   implements, the [`channel::Job`] it is given and the
//!   [`channel::Attempt`] it answers.
//! - [`outbox`]: the sans-IO state machine: backoff schedule with jitter,
//!   `Retry-After`, maximum age, what each answer does to a delivery.
//! - [`links`]: HMAC-signed expiring links to a conversation's audio.
//! - [`payload`]: the JSON that describes a delivery's subject (webhook
//!   bodies, bucket sidecars).
//! - [`media_service`]: the [`channel::Media`] channels use: stored audio,
//!   derived formats (MP3, WAV, Opus) made once and cached in the primary
//!   store, signed links, and the handler behind the link route.
//! - [`filter`]: a destination's filters, checked when a delivery is sent.
//! - [`runner`]: the outbox's I/O edge: claims, attempts, outcomes, alerts.
//! - [`config`]: the `[delivery]` configuration section.
//! - [`email`], [`webhook`], [`amocrm`], [`bitrix24`], [`bucket`]: the channels.
//! - [`ratelimit`]: the per-account token buckets the CRM channels share.
//!
//! **Architecture invariant:** a delivery's state changes only through the
//! catalog, in one statement guarded by the lease its runner holds; a
//! channel never writes the catalog except through [`channel::Job::checkpoint`].
//!
//! **Architecture invariant:** the delivery id is the idempotency key sent to
//! every destination that accepts one, so a retry after an ambiguous failure
//! never makes a second copy there.

pub mod amocrm;
pub mod bitrix24;
pub mod bucket;
pub mod channel;
pub mod config;
mod crm;
pub mod email;
pub mod filter;
pub mod links;
pub mod media_service;
pub mod outbox;
pub mod payload;
pub mod ratelimit;
pub mod runner;
pub mod webhook;

//! The JSON body that describes what a delivery is about, shared by the
//! webhook channel (the request body) and the bucket channel (the sidecar
//! next to each object).
//!
//! Every payload has the same envelope (the Standard Webhooks shape):
//!
//! ```json
//! { "type": "conversation.settled", "timestamp": "2024-05-01T10:00:00Z", "data": { ... } }
//! ```
//!
//! `type` is the [`Event`]'s string form; `timestamp` is when the delivery
//! was created (so the body is the same on every attempt, apart from the
//! signed links in it); `data` depends on the event.
//!
//! Conversation events (`conversation.settled`, `conversation.updated`,
//! `recording.stored`):
//!
//! ```json
//! {
//!   "conversation": "0190...", "tenant": {"id": "0190...", "name": "acme"},
//!   "direction": "inbound", "external_number": "+4930...", "company_number": "100",
//!   "started_at": "...", "ended_at": "..." | null, "duration_ms": 61000 | null,
//!   "flags": ["truncated"],
//!   "participants": [{"side": "external", "address": "+4930...", "display_name": null,
//!                     "joined_at": "...", "left_at": "..." | null}],
//!   "recordings": [{"id": "0190...", "started_at": "...", "ended_at": "...",
//!                   "duration_ms": 60000, "format": "wav", "codec": "pcm_s16le",
//!                   "channels": 2, "sample_rate": 8000, "sha256": "...",
//!                   "size_bytes": 1920044, "flags": [],
//!                   "links": {"original": "https://...", "mp3": "https://..."}}]
//! }
//! ```
//!
//! `recording.stored` adds `"recording": "<id>"`, the recording that was
//! stored (the list holds all of the conversation's recordings). `flags` of
//! the conversation is the sorted union of its recordings' flags;
//! `duration_ms` is `ended_at - started_at` when the conversation has ended.
//! Recordings are listed in the order they were stored (by id).
//!
//! Alerts (`alert`, `alert.system`): `data` is the alert
//! (`id`, `tenant`, `kind`, `subject`, `severity`, `message`, `first_seen`,
//! `last_seen`, `count`, `resolved_at`).
//!
//! Test deliveries (`test`): `data` is `{"test": true, "delivery": id,
//! "destination": {"id", "name"}, "tenant": {"id", "name"}, "message"}`.

use std::collections::BTreeSet;

use callvault_model::TenantId;
use callvault_store::ConversationDetail;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::channel::{AlertView, DeliveryFormat, Event, Job, Media, Subject};

/// The payload of a job, whatever its subject.
pub fn job_payload(job: &Job) -> Value {
    let tenant = tenant(job.tenant_id, &job.tenant_name);
    match &job.subject {
        Subject::Conversation(detail) => conversation_payload(
            job.event,
            job.created_at,
            tenant,
            detail,
            job.media.as_ref(),
            None,
        ),
        Subject::Recording { conversation, recording_id } => conversation_payload(
            job.event,
            job.created_at,
            tenant,
            conversation,
            job.media.as_ref(),
            Some(*recording_id),
        ),
        Subject::Alert(alert) => alert_payload(job.event, job.created_at, alert),
        Subject::Test => test_payload(job),
    }
}

/// `{"id", "name"}` of a tenant.
fn tenant(id: TenantId, name: &str) -> Value {
    json!({ "id": id.to_string(), "name": name })
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn envelope(event: Event, timestamp: DateTime<Utc>, data: Value) -> Value {
    json!({ "type": event.as_str(), "timestamp": time(timestamp), "data": data })
}

/// A conversation event's payload; `stored` names the recording of a
/// `recording.stored` event. Links come from [`Media::link`].
pub fn conversation_payload(
    event: Event,
    timestamp: DateTime<Utc>,
    tenant: Value,
    detail: &ConversationDetail,
    media: &dyn Media,
    stored: Option<Uuid>,
) -> Value {
    let c = &detail.conversation;
    let mut recordings: Vec<_> = detail.recordings.iter().collect();
    recordings.sort_by_key(|r| r.recording.id);
    let flags: BTreeSet<&str> =
        recordings.iter().flat_map(|r| r.recording.flags.iter().map(String::as_str)).collect();
    let duration_ms = c.ended_at.map(|end| (end - c.started_at).num_milliseconds().max(0));
    let participants: Vec<Value> = detail
        .participants
        .iter()
        .map(|p| {
            json!({
                "side": p.side.as_str(),
                "address": p.address,
                "display_name": p.display_name,
                "joined_at": time(p.joined_at),
                "left_at": p.left_at.map(time),
            })
        })
        .collect();
    let recordings: Vec<Value> = recordings
        .iter()
        .map(|r| {
            let rec = &r.recording;
            json!({
                "id": rec.id.to_string(),
                "started_at": time(rec.started_at),
                "ended_at": time(rec.ended_at),
                "duration_ms": rec.duration_ms,
                "format": rec.format.as_str(),
                "codec": r.codec,
                "channels": rec.channels,
                "sample_rate": rec.sample_rate,
                "sha256": rec.sha256,
                "size_bytes": rec.size_bytes,
                "flags": rec.flags,
                "links": {
                    "original": media.link(rec, DeliveryFormat::Original),
                    "mp3": media.link(rec, DeliveryFormat::Mp3),
                },
            })
        })
        .collect();
    let mut data = json!({
        "conversation": c.id.to_string(),
        "tenant": tenant,
        "direction": c.direction.as_str(),
        "external_number": c.external_number,
        "company_number": c.company_number,
        "started_at": time(c.started_at),
        "ended_at": c.ended_at.map(time),
        "duration_ms": duration_ms,
        "flags": flags,
        "participants": participants,
        "recordings": recordings,
    });
    if let (Some(id), Some(map)) = (stored, data.as_object_mut()) {
        map.insert("recording".into(), Value::String(id.to_string()));
    }
    envelope(event, timestamp, data)
}

/// An alert's payload.
pub fn alert_payload(event: Event, timestamp: DateTime<Utc>, alert: &AlertView) -> Value {
    let data = json!({
        "id": alert.id.to_string(),
        "tenant": alert.tenant_id.map(|t| t.to_string()),
        "kind": alert.kind,
        "subject": alert.subject,
        "severity": alert.severity,
        "message": alert.message,
        "first_seen": time(alert.first_seen),
        "last_seen": time(alert.last_seen),
        "count": alert.count,
        "resolved_at": alert.resolved_at.map(time),
    });
    envelope(event, timestamp, data)
}

/// A test delivery's payload: recognisable as a test by `"test": true`.
pub fn test_payload(job: &Job) -> Value {
    let data = json!({
        "test": true,
        "delivery": job.delivery_id.to_string(),
        "destination": { "id": job.destination.id.to_string(), "name": job.destination.name },
        "tenant": tenant(job.tenant_id, &job.tenant_name),
        "message": "a test delivery from callvault",
    });
    envelope(Event::Test, job.created_at, data)
}

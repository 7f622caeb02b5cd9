//! The amoCRM / Kommo channel against `servers/amocrm_server.py`, a server
//! that follows the documented API v4 (strict shapes, calls attached by
//! the last 10 digits, notes, OAuth2 with single-use refresh tokens, 7
//! requests a second).

mod crm_support;

use std::sync::Arc;
use std::time::Duration;

use callvault_delivery::amocrm::AmoCrmChannel;
use callvault_delivery::channel::{Channel, Event, Outcome, RetryClass};
use callvault_model::Direction;
use crm_support::*;
use serde_json::{Value, json};
use uuid::Uuid;

const PHONE: &str = "+7 (916) 123-45-67";

fn config(server: &Server, extra: Value) -> Value {
    let mut c = json!({
        "base_url": server.url,
        "users": { "201": 123456 },
        "default_user_id": 1,
        "readback_retry_secs": 1,
        "call_result": "{direction} {duration}",
    });
    c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    c
}

fn long_lived() -> Arc<MemSecrets> {
    MemSecrets::new(json!({ "access_token": "long-lived" }))
}

fn server(extra: Value) -> Server {
    let mut setup = json!({ "access_tokens": ["long-lived"], "contacts": ["89161234567"] });
    setup.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    Server::start("amocrm_server.py", setup)
}

#[tokio::test]
async fn a_call_lands_as_a_note_with_its_link_and_uniq_and_is_read_back() {
    let server = server(json!({}));
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let (job, checkpoint) = job(
        Event::ConversationSettled,
        Some(&conv),
        Uuid::now_v7(),
        config(&server, json!({})),
        long_lived(),
        TestMedia::new(),
        Value::Null,
    );
    let attempt = AmoCrmChannel::new().deliver(&job).await;
    assert_eq!(attempt.outcome, Outcome::Delivered { verified: true });
    assert_eq!(attempt.progress["posted"], json!(true));

    let state = server.state().await;
    let notes = state["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    let note = &notes[0];
    assert_eq!(note["note_type"], "call_in");
    assert_eq!(note["entity_type"], "contacts");
    assert_eq!(note["params"]["uniq"], conv.conversation.id.to_string());
    assert_eq!(note["params"]["link"], TestMedia::link_of(main_recording(&conv)));
    assert_eq!(note["params"]["duration"], 95);
    assert_eq!(note["params"]["source"], "callvault");
    assert_eq!(note["params"]["call_status"], 4);
    assert_eq!(note["params"]["call_result"], "inbound 1:35");
    assert_eq!(note["responsible_user_id"], 123456, "extension 201 maps to user 123456");
    assert_eq!(note["created_by"], 123456);
    // Each completed step was checkpointed: posting, then posted.
    let saved = checkpoint.saved.lock().unwrap().clone();
    assert_eq!(saved.first().unwrap()["post_started"], json!(true));
    assert_eq!(saved.last().unwrap()["entity"]["type"], "contacts");
}

#[tokio::test]
async fn an_outbound_call_is_a_call_out_note() {
    let server = server(json!({}));
    let conv = conversation(Some("+79161234567"), Direction::Outbound);
    let (job, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        Uuid::now_v7(),
        config(&server, json!({})),
        long_lived(),
        TestMedia::new(),
        Value::Null,
    );
    assert_eq!(
        AmoCrmChannel::new().deliver(&job).await.outcome,
        Outcome::Delivered { verified: true }
    );
    assert_eq!(server.state().await["notes"][0]["note_type"], "call_out");
}

#[tokio::test]
async fn no_card_with_the_number_is_reported_as_no_match() {
    let server = server(json!({ "contacts": [] }));
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let (job, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        Uuid::now_v7(),
        config(&server, json!({})),
        long_lived(),
        TestMedia::new(),
        Value::Null,
    );
    let attempt = AmoCrmChannel::new().deliver(&job).await;
    assert!(
        matches!(&attempt.outcome, Outcome::NoMatch { error } if error.contains("Entity not found")),
        "{attempt:?}"
    );
    let state = server.state().await;
    assert_eq!(state["counters"]["calls_posted"], 1);
    assert_eq!(state["notes"], json!([]));
    assert_eq!(state["counters"]["contacts_created"], 0);
}

#[tokio::test]
async fn create_contact_makes_the_contact_then_logs_the_call_on_it() {
    let server = server(json!({ "contacts": [] }));
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let cfg = config(&server, json!({ "no_match": "create_contact" }));
    let (job, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        Uuid::now_v7(),
        cfg,
        long_lived(),
        TestMedia::new(),
        Value::Null,
    );
    let attempt = AmoCrmChannel::new().deliver(&job).await;
    assert_eq!(attempt.outcome, Outcome::Delivered { verified: true });
    let state = server.state().await;
    assert_eq!(state["counters"]["contacts_created"], 1);
    let contact_id = attempt.progress["contact"].as_u64().unwrap();
    let contact = &state["contacts"][contact_id.to_string()];
    assert_eq!(contact["phones"], json!([PHONE]));
    let notes = state["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["entity_id"], contact_id);
}

#[tokio::test]
async fn create_lead_makes_a_lead_with_a_contact_and_the_call_lands_on_the_lead() {
    let server = server(json!({ "contacts": [] }));
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let cfg = config(&server, json!({ "no_match": "create_lead" }));
    let (job, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        Uuid::now_v7(),
        cfg,
        long_lived(),
        TestMedia::new(),
        Value::Null,
    );
    let attempt = AmoCrmChannel::new().deliver(&job).await;
    assert_eq!(attempt.outcome, Outcome::Delivered { verified: true });
    let state = server.state().await;
    assert_eq!(state["counters"]["leads_created"], 1);
    let lead = attempt.progress["lead"].as_u64().unwrap();
    assert_eq!(state["notes"][0]["entity_type"], "leads");
    assert_eq!(state["notes"][0]["entity_id"], lead);
}

#[tokio::test]
async fn a_server_error_is_retried_without_a_duplicate_note() {
    let server = server(json!({}));
    server
        .control(
            "fail",
            json!({ "method": "POST", "path": "/api/v4/calls", "status": 500, "count": 1 }),
        )
        .await;
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let dest = Uuid::now_v7();
    let channel = AmoCrmChannel::new();
    let cfg = config(&server, json!({}));
    let (first, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        dest,
        cfg.clone(),
        long_lived(),
        TestMedia::new(),
        Value::Null,
    );
    let attempt = channel.deliver(&first).await;
    assert!(
        matches!(attempt.outcome, Outcome::Retry { class: RetryClass::Transient, .. }),
        "{attempt:?}"
    );
    assert_eq!(attempt.status.as_deref(), Some("HTTP 500"));

    let (second, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        dest,
        cfg,
        long_lived(),
        TestMedia::new(),
        attempt.progress,
    );
    let attempt = channel.deliver(&second).await;
    assert_eq!(attempt.outcome, Outcome::Delivered { verified: true });
    let state = server.state().await;
    assert_eq!(state["notes"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_note_not_visible_yet_is_read_again_never_posted_again() {
    let server = server(json!({}));
    server.control("hide_notes", json!({ "count": 1 })).await;
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let dest = Uuid::now_v7();
    let cfg = config(&server, json!({}));
    let (first, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        dest,
        cfg.clone(),
        long_lived(),
        TestMedia::new(),
        Value::Null,
    );
    let attempt = AmoCrmChannel::new().deliver(&first).await;
    assert!(
        matches!(&attempt.outcome, Outcome::Retry { retry_after: Some(d), .. } if *d == Duration::from_secs(1)),
        "{attempt:?}"
    );
    assert_eq!(attempt.progress["posted"], json!(true));

    // Another node, after this one died: the retry only reads.
    let (second, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        dest,
        cfg,
        long_lived(),
        TestMedia::new(),
        attempt.progress,
    );
    assert_eq!(
        AmoCrmChannel::new().deliver(&second).await.outcome,
        Outcome::Delivered { verified: true }
    );
    let state = server.state().await;
    assert_eq!(state["counters"]["calls_posted"], 1);
    assert_eq!(state["notes"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_post_whose_answer_was_lost_is_found_by_uniq_and_not_repeated() {
    let server = server(json!({}));
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let dest = Uuid::now_v7();
    let cfg = config(&server, json!({}));
    let (first, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        dest,
        cfg.clone(),
        long_lived(),
        TestMedia::new(),
        Value::Null,
    );
    assert_eq!(
        AmoCrmChannel::new().deliver(&first).await.outcome,
        Outcome::Delivered { verified: true }
    );

    // The node died after the POST left and before its answer was saved:
    // all the catalog holds is "post started".
    let (second, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        dest,
        cfg,
        long_lived(),
        TestMedia::new(),
        json!({ "post_started": true }),
    );
    let attempt = AmoCrmChannel::new().deliver(&second).await;
    assert_eq!(attempt.outcome, Outcome::Delivered { verified: true });
    assert_eq!(attempt.progress["entity"]["type"], "contacts");
    let state = server.state().await;
    assert_eq!(state["counters"]["calls_posted"], 1);
    assert_eq!(state["notes"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_update_edits_the_note_instead_of_adding_one() {
    let server = server(json!({}));
    let mut conv = conversation(Some(PHONE), Direction::Inbound);
    let dest = Uuid::now_v7();
    let cfg = config(&server, json!({}));
    let (first, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        dest,
        cfg.clone(),
        long_lived(),
        TestMedia::new(),
        Value::Null,
    );
    assert_eq!(
        AmoCrmChannel::new().deliver(&first).await.outcome,
        Outcome::Delivered { verified: true }
    );

    // A longer recording arrived later.
    let mut longer = conv.recordings[1].clone();
    longer.recording.id = callvault_model::RecordingId::new();
    longer.recording.duration_ms = 120_000;
    conv.recordings.push(longer.clone());
    let (update, _) = job(
        Event::ConversationUpdated,
        Some(&conv),
        dest,
        cfg,
        long_lived(),
        TestMedia::new(),
        Value::Null,
    );
    assert_eq!(
        AmoCrmChannel::new().deliver(&update).await.outcome,
        Outcome::Delivered { verified: true }
    );
    let state = server.state().await;
    assert_eq!(state["counters"]["calls_posted"], 1);
    assert_eq!(state["counters"]["notes_patched"], 1);
    assert_eq!(state["notes"][0]["params"]["link"], TestMedia::link_of(&longer.recording));
}

#[tokio::test]
async fn a_validation_error_is_dead_with_the_servers_message() {
    let server = server(json!({}));
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let media = Arc::new(TestMedia {
        mp3: bytes::Bytes::new(),
        bad_link: Some("ftp://nowhere/x.mp3".into()),
    });
    let (job, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        Uuid::now_v7(),
        config(&server, json!({})),
        long_lived(),
        media,
        Value::Null,
    );
    let attempt = AmoCrmChannel::new().deliver(&job).await;
    assert!(
        matches!(&attempt.outcome, Outcome::Dead { error } if error.contains("link: This value is not a valid URL.")),
        "{attempt:?}"
    );
    assert_eq!(attempt.status.as_deref(), Some("HTTP 400"));
}

#[tokio::test]
async fn a_refused_long_lived_token_is_dead_authorization() {
    let server = server(json!({}));
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let secrets = MemSecrets::new(json!({ "access_token": "wrong" }));
    let (job, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        Uuid::now_v7(),
        config(&server, json!({})),
        secrets,
        TestMedia::new(),
        Value::Null,
    );
    let attempt = AmoCrmChannel::new().deliver(&job).await;
    assert!(
        matches!(&attempt.outcome, Outcome::Dead { error } if error.starts_with("authorization")),
        "{attempt:?}"
    );
}

#[tokio::test]
async fn too_many_requests_is_retried_after_what_the_server_asked() {
    let server = server(json!({}));
    server
        .control("fail", json!({ "method": "POST", "path": "/api/v4/calls", "status": 429, "count": 1, "headers": { "Retry-After": "7" } }))
        .await;
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let (job, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        Uuid::now_v7(),
        config(&server, json!({})),
        long_lived(),
        TestMedia::new(),
        Value::Null,
    );
    let attempt = AmoCrmChannel::new().deliver(&job).await;
    assert!(
        matches!(&attempt.outcome, Outcome::Retry { retry_after: Some(d), class: RetryClass::Transient, .. } if *d == Duration::from_secs(7)),
        "{attempt:?}"
    );
}

#[tokio::test]
async fn the_test_event_checks_the_account() {
    let server = server(json!({}));
    let (job, _) = job(
        Event::Test,
        None,
        Uuid::now_v7(),
        config(&server, json!({})),
        long_lived(),
        TestMedia::new(),
        Value::Null,
    );
    assert_eq!(
        AmoCrmChannel::new().deliver(&job).await.outcome,
        Outcome::Delivered { verified: false }
    );
}

fn oauth_secrets(access: &str, expires_at: Option<i64>) -> Value {
    let mut s = json!({
        "client_id": "cid", "client_secret": "csecret", "redirect_uri": "https://callvault.test/oauth",
        "access_token": access, "refresh_token": "refresh-1",
    });
    if let Some(at) = expires_at {
        s["expires_at"] = json!(at);
    }
    s
}

fn oauth_server() -> Server {
    server(json!({
        "access_tokens": [], "expired_access_tokens": ["old-access"], "refresh_tokens": ["refresh-1"],
        "client_id": "cid", "client_secret": "csecret", "redirect_uri": "https://callvault.test/oauth",
    }))
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_stored_before_use() {
    let server = oauth_server();
    let secrets = MemSecrets::watching(oauth_secrets("old-access", Some(1_000)), &server);
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let (job, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        Uuid::now_v7(),
        config(&server, json!({})),
        secrets.clone(),
        TestMedia::new(),
        Value::Null,
    );
    assert_eq!(
        AmoCrmChannel::new().deliver(&job).await.outcome,
        Outcome::Delivered { verified: true }
    );

    let state = server.state().await;
    assert_eq!(state["counters"]["refreshes"], 1);
    assert_eq!(
        state["counters"]["unauthorized"], 0,
        "an expired token is refreshed before it is sent"
    );
    let stored = secrets.get();
    assert_ne!(stored["refresh_token"], "refresh-1");
    assert_eq!(
        state["refresh_tokens"][stored["refresh_token"].as_str().unwrap()],
        json!(false),
        "the new refresh token is unused"
    );
    assert_eq!(
        *secrets.uses_at_replace.lock().unwrap(),
        vec![0],
        "the new pair was stored before its first use"
    );
    assert!(state["token_uses"][stored["access_token"].as_str().unwrap()].as_u64().unwrap() >= 2);
}

#[tokio::test]
async fn two_nodes_sharing_the_secrets_refresh_exactly_once() {
    let server = oauth_server();
    // No expires_at: both nodes learn of the expiry from a 401 at once.
    let secrets = MemSecrets::new(oauth_secrets("old-access", None));
    let dest = Uuid::now_v7();
    let cfg = config(&server, json!({}));
    let (node_a, node_b) = (AmoCrmChannel::new(), AmoCrmChannel::new());
    let conv_a = conversation(Some(PHONE), Direction::Inbound);
    let conv_b = conversation(Some(PHONE), Direction::Outbound);
    let (job_a, _) = job(
        Event::ConversationSettled,
        Some(&conv_a),
        dest,
        cfg.clone(),
        secrets.clone(),
        TestMedia::new(),
        Value::Null,
    );
    let (job_b, _) = job(
        Event::ConversationSettled,
        Some(&conv_b),
        dest,
        cfg,
        secrets.clone(),
        TestMedia::new(),
        Value::Null,
    );
    let (a, b) = tokio::join!(node_a.deliver(&job_a), node_b.deliver(&job_b));
    assert_eq!(a.outcome, Outcome::Delivered { verified: true });
    assert_eq!(b.outcome, Outcome::Delivered { verified: true });
    let state = server.state().await;
    assert_eq!(state["counters"]["refreshes"], 1);
    assert_eq!(state["counters"]["revoked_refresh_uses"], 0);
    assert_eq!(secrets.replaced.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_burst_of_deliveries_stays_under_the_accounts_rate_limit() {
    let server = server(json!({}));
    let channel = Arc::new(AmoCrmChannel::new());
    let cfg = config(&server, json!({}));
    let dest = Uuid::now_v7();
    let mut tasks = Vec::new();
    for _ in 0..30 {
        let conv = conversation(Some(PHONE), Direction::Inbound);
        let (job, _) = job(
            Event::ConversationSettled,
            Some(&conv),
            dest,
            cfg.clone(),
            long_lived(),
            TestMedia::new(),
            Value::Null,
        );
        let channel = channel.clone();
        tasks.push(tokio::spawn(async move { channel.deliver(&job).await.outcome }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), Outcome::Delivered { verified: true });
    }
    let state = server.state().await;
    assert_eq!(state["counters"]["rate_limited"], 0);
    assert_eq!(state["notes"].as_array().unwrap().len(), 30);
}

#[tokio::test]
async fn a_conversation_without_an_external_number_is_no_match() {
    let server = server(json!({}));
    let conv = conversation(None, Direction::Inbound);
    let (job, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        Uuid::now_v7(),
        config(&server, json!({})),
        long_lived(),
        TestMedia::new(),
        Value::Null,
    );
    assert!(matches!(AmoCrmChannel::new().deliver(&job).await.outcome, Outcome::NoMatch { .. }));
    assert_eq!(server.state().await["counters"]["requests"], 0);
}

#[test]
fn validate_and_accepts() {
    let ch = AmoCrmChannel::new();
    assert!(
        ch.validate(
            &json!({ "base_url": "https://acme.amocrm.ru" }),
            &json!({ "access_token": "t" })
        )
        .is_ok()
    );
    assert!(
        ch.validate(
            &json!({ "base_url": "http://acme.amocrm.ru" }),
            &json!({ "access_token": "t" })
        )
        .is_err()
    );
    assert!(ch.validate(&json!({ "base_url": "https://acme.amocrm.ru" }), &json!({})).is_err());
    let cfg = json!({});
    assert!(ch.accepts(Event::ConversationSettled, &cfg));
    assert!(ch.accepts(Event::ConversationUpdated, &cfg));
    assert!(ch.accepts(Event::Test, &cfg));
    assert!(!ch.accepts(Event::RecordingStored, &cfg));
    assert!(!ch.accepts(Event::Alert, &cfg));
}

#[tokio::test]
async fn an_update_whose_edit_failed_edits_on_the_retry() {
    let server = server(json!({}));
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let dest = Uuid::now_v7();
    let cfg = config(&server, json!({}));
    let (first, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        dest,
        cfg.clone(),
        long_lived(),
        TestMedia::new(),
        Value::Null,
    );
    assert_eq!(
        AmoCrmChannel::new().deliver(&first).await.outcome,
        Outcome::Delivered { verified: true }
    );

    server.control("fail", json!({ "method": "PATCH", "path": "/api/v4/contacts/notes", "status": 502, "count": 1 })).await;
    let (update, _) = job(
        Event::ConversationUpdated,
        Some(&conv),
        dest,
        cfg.clone(),
        long_lived(),
        TestMedia::new(),
        Value::Null,
    );
    let attempt = AmoCrmChannel::new().deliver(&update).await;
    assert!(matches!(attempt.outcome, Outcome::Retry { .. }), "{attempt:?}");
    let (retry, _) = job(
        Event::ConversationUpdated,
        Some(&conv),
        dest,
        cfg,
        long_lived(),
        TestMedia::new(),
        attempt.progress,
    );
    assert_eq!(
        AmoCrmChannel::new().deliver(&retry).await.outcome,
        Outcome::Delivered { verified: true }
    );
    let state = server.state().await;
    assert_eq!(state["counters"]["notes_patched"], 1);
    assert_eq!(state["counters"]["calls_posted"], 1);
}

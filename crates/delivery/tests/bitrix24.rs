//! The Bitrix24 channel against `servers/bitrix24_server.py`: the
//! telephony REST methods as documented, with strict parameter checks, a
//! leaky-bucket limit, inbound webhooks and an OAuth application.

mod crm_support;

use std::sync::Arc;

use callvault_delivery::bitrix24::Bitrix24Channel;
use callvault_delivery::channel::{Channel, Event, Outcome, RetryClass};
use callvault_model::Direction;
use crm_support::*;
use serde_json::{Value, json};
use uuid::Uuid;

const PHONE: &str = "+79161234567";

fn webhook_server(extra: Value) -> Server {
    let mut setup =
        json!({ "webhook": { "user": "1", "code": "s3cr3t" }, "users": [1, 7], "burst": 10 });
    setup.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    Server::start("bitrix24_server.py", setup)
}

fn webhook_config(server: &Server, extra: Value) -> Value {
    let mut c = json!({
        "webhook_url": format!("{}/rest/1/s3cr3t/", server.url),
        "users": { "201": 7 },
        "default_user_id": 1,
    });
    c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    c
}

fn no_secrets() -> Arc<MemSecrets> {
    MemSecrets::new(json!({}))
}

#[tokio::test]
async fn a_call_is_registered_finished_and_gets_its_mp3() {
    let server = webhook_server(json!({}));
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let (job, checkpoint) = job(
        Event::ConversationSettled,
        Some(&conv),
        Uuid::now_v7(),
        webhook_config(&server, json!({})),
        no_secrets(),
        TestMedia::new(),
        Value::Null,
    );
    let attempt = Bitrix24Channel::new().deliver(&job).await;
    assert_eq!(attempt.outcome, Outcome::Delivered { verified: false });

    let state = server.state().await;
    let id = conv.conversation.id.to_string();
    assert_eq!(state["registrations"][&id], 1);
    let calls = state["calls"].as_object().unwrap();
    assert_eq!(calls.len(), 1);
    let (call_id, call) = calls.iter().next().unwrap();
    assert_eq!(attempt.progress["call_id"], json!(call_id));
    assert_eq!(call["user"], 7, "extension 201 maps to user 7");
    assert_eq!(call["phone"], PHONE);
    assert_eq!(call["type"], 2, "inbound");
    assert_eq!(call["external"], json!(id));
    assert_eq!(call["crm_create"], 1);
    assert_eq!(call["show"], 0);
    assert_eq!(call["start"], "2025-03-07T10:20:30+00:00");
    assert_eq!(call["finished"], json!({ "duration": 95, "status": "200", "user": 7 }));
    assert_eq!(call["record"]["name"], format!("{id}.mp3"));
    assert_eq!(call["record"]["via"], "inline");
    assert_eq!(call["record"]["size"], TestMedia::new().mp3.len());
    // register, finish, attachRecord: each step saved when done.
    let saved = checkpoint.saved.lock().unwrap().clone();
    assert_eq!(saved.len(), 3);
    assert_eq!(saved[0]["finished"], json!(false));
    assert_eq!(saved[1]["finished"], json!(true));
    assert_eq!(saved[2]["record"], json!(true));
}

#[tokio::test]
async fn a_failed_finish_is_resumed_without_registering_again() {
    let server = webhook_server(json!({}));
    server
        .control(
            "fail",
            json!({ "method": "telephony.externalcall.finish", "status": 500, "count": 1 }),
        )
        .await;
    let conv = conversation(Some(PHONE), Direction::Outbound);
    let dest = Uuid::now_v7();
    let cfg = webhook_config(&server, json!({}));
    let channel = Bitrix24Channel::new();
    let (first, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        dest,
        cfg.clone(),
        no_secrets(),
        TestMedia::new(),
        Value::Null,
    );
    let attempt = channel.deliver(&first).await;
    assert!(
        matches!(attempt.outcome, Outcome::Retry { class: RetryClass::Transient, .. }),
        "{attempt:?}"
    );
    assert!(attempt.progress["call_id"].is_string());
    assert_eq!(attempt.progress["finished"], json!(false));

    let (second, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        dest,
        cfg,
        no_secrets(),
        TestMedia::new(),
        attempt.progress,
    );
    assert_eq!(channel.deliver(&second).await.outcome, Outcome::Delivered { verified: false });
    let state = server.state().await;
    assert_eq!(state["counters"]["registrations"], 1);
    let call = state["calls"].as_object().unwrap().values().next().unwrap().clone();
    assert_eq!(call["type"], 1, "outbound");
    assert_eq!(call["finished"]["status"], "200");
    assert_eq!(call["record"]["via"], "inline");
}

#[tokio::test]
async fn a_large_record_goes_to_the_upload_url() {
    let server = webhook_server(json!({}));
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let cfg = webhook_config(&server, json!({ "inline_max_bytes": 1024 }));
    let (job, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        Uuid::now_v7(),
        cfg,
        no_secrets(),
        TestMedia::new(),
        Value::Null,
    );
    assert_eq!(
        Bitrix24Channel::new().deliver(&job).await.outcome,
        Outcome::Delivered { verified: false }
    );
    let state = server.state().await;
    assert_eq!(state["counters"]["uploads"], 1);
    let call = state["calls"].as_object().unwrap().values().next().unwrap().clone();
    assert_eq!(call["record"]["via"], "upload");
    assert_eq!(call["record"]["size"], TestMedia::new().mp3.len());
}

#[tokio::test]
async fn wrong_auth_type_is_dead_and_says_to_use_an_application() {
    let server = webhook_server(json!({ "wrong_auth_type": true }));
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let (job, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        Uuid::now_v7(),
        webhook_config(&server, json!({})),
        no_secrets(),
        TestMedia::new(),
        Value::Null,
    );
    let attempt = Bitrix24Channel::new().deliver(&job).await;
    assert!(
        matches!(&attempt.outcome, Outcome::Dead { error } if error.contains("WRONG_AUTH_TYPE") && error.contains("OAuth application")),
        "{attempt:?}"
    );
    assert!(
        !format!("{attempt:?}").contains("s3cr3t"),
        "the webhook's code never appears in errors"
    );
}

#[tokio::test]
async fn query_limit_exceeded_is_retried() {
    let server = webhook_server(json!({}));
    server
        .control("fail", json!({ "method": "telephony.externalcall.register", "status": 503, "error": "QUERY_LIMIT_EXCEEDED", "count": 1, "headers": { "Retry-After": "3" } }))
        .await;
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let (job, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        Uuid::now_v7(),
        webhook_config(&server, json!({})),
        no_secrets(),
        TestMedia::new(),
        Value::Null,
    );
    let attempt = Bitrix24Channel::new().deliver(&job).await;
    assert!(
        matches!(&attempt.outcome, Outcome::Retry { retry_after: Some(d), .. } if d.as_secs() == 3),
        "{attempt:?}"
    );
    assert_eq!(attempt.status.as_deref(), Some("HTTP 503 QUERY_LIMIT_EXCEEDED"));
    assert_eq!(attempt.progress, Value::Null);
}

#[tokio::test]
async fn an_unknown_user_is_dead_with_the_portals_message() {
    let server = webhook_server(json!({}));
    let conv = conversation(Some(PHONE), Direction::Inbound);
    let cfg = webhook_config(&server, json!({ "users": { "201": 99 } }));
    let (job, _) = job(
        Event::ConversationSettled,
        Some(&conv),
        Uuid::now_v7(),
        cfg,
        no_secrets(),
        TestMedia::new(),
        Value::Null,
    );
    let attempt = Bitrix24Channel::new().deliver(&job).await;
    assert!(
        matches!(&attempt.outcome, Outcome::Dead { error } if error.contains("User is not found")),
        "{attempt:?}"
    );
}

#[tokio::test]
async fn an_oauth_application_refreshes_an_expired_token_once() {
    let server = Server::start(
        "bitrix24_server.py",
        json!({
            "client_id": "app", "client_secret": "appsecret", "users": [1],
            "expired_access_tokens": ["old"], "refresh_tokens": ["r1"],
        }),
    );
    let secrets = MemSecrets::new(
        json!({ "client_id": "app", "client_secret": "appsecret", "access_token": "old", "refresh_token": "r1" }),
    );
    let cfg = json!({ "portal_url": server.url, "oauth_url": server.url, "default_user_id": 1 });
    let dest = Uuid::now_v7();
    let (node_a, node_b) = (Bitrix24Channel::new(), Bitrix24Channel::new());
    let conv_a = conversation(Some(PHONE), Direction::Inbound);
    let conv_b = conversation(Some("+79160000000"), Direction::Inbound);
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
    assert_eq!(a.outcome, Outcome::Delivered { verified: false });
    assert_eq!(b.outcome, Outcome::Delivered { verified: false });
    let state = server.state().await;
    assert_eq!(state["counters"]["refreshes"], 1);
    assert_eq!(state["counters"]["revoked_refresh_uses"], 0);
    let stored = secrets.get();
    assert_ne!(stored["refresh_token"], "r1");
    assert_eq!(state["refresh_tokens"][stored["refresh_token"].as_str().unwrap()], json!(false));
}

#[tokio::test]
async fn the_test_event_checks_the_telephony_scope() {
    let server = webhook_server(json!({}));
    let (job, _) = job(
        Event::Test,
        None,
        Uuid::now_v7(),
        webhook_config(&server, json!({})),
        no_secrets(),
        TestMedia::new(),
        Value::Null,
    );
    assert_eq!(
        Bitrix24Channel::new().deliver(&job).await.outcome,
        Outcome::Delivered { verified: false }
    );
}

#[test]
fn validate_and_accepts() {
    let ch = Bitrix24Channel::new();
    assert!(
        ch.validate(&json!({ "webhook_url": "https://acme.bitrix24.ru/rest/1/abc/" }), &json!({}))
            .is_ok()
    );
    assert!(ch.validate(&json!({ "portal_url": "https://acme.bitrix24.ru" }), &json!({})).is_err());
    assert!(
        ch.validate(&json!({ "webhook_url": "http://acme.bitrix24.ru/rest/1/abc/" }), &json!({}))
            .is_err()
    );
    assert!(ch.accepts(Event::ConversationSettled, &json!({})));
    assert!(ch.accepts(Event::Test, &json!({})));
    assert!(!ch.accepts(Event::ConversationUpdated, &json!({})));
}

//! Uploads through the real binary queue their deliveries in the commit: a
//! call settles `server.settle_upload_secs` after its last upload, or at once
//! when the upload says `"final": true`.

mod common;

use callvault_store::{Catalog, DeliveryQuery, NewDestination, open_catalog};
use chrono::Utc;
use common::upload_stored as upload;
use common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

#[tokio::test]
async fn uploads_settle_after_the_settle_time_or_at_once_when_final() {
    let env = Env::new().with("CALLVAULT_SERVER__SETTLE_UPLOAD_SECS", "300");
    let key = env.tenant_with_key("acme");
    let url = format!("sqlite://{}", env.data_dir().join("catalog.db").display());
    let catalog = open_catalog(&url, 2).await.unwrap();
    let tenant = catalog.tenant_by_name("acme").await.unwrap().unwrap();
    let crm = NewDestination {
        tenant_id: tenant.id,
        name: "crm".into(),
        kind: "webhook".into(),
        enabled: true,
        events: vec!["conversation.settled".into()],
        config: json!({}),
        secrets: json!({}),
        filters: json!({}),
        max_age_secs: 3600,
        link_ttl_secs: 3600,
    };
    catalog.create_destination(crm, "test", Utc::now()).await.unwrap();
    let server = Server::start(&env);

    let settled_due = |catalog: std::sync::Arc<dyn Catalog>, conversation: &Value| {
        let id: uuid::Uuid = serde_json::from_value(conversation.clone()).unwrap();
        async move {
            let q = DeliveryQuery {
                conversation_id: Some(callvault_model::ConversationId(id)),
                limit: 10,
                ..Default::default()
            };
            let all = catalog.list_deliveries(Some(tenant.id), &q).await.unwrap();
            assert_eq!(all.len(), 1, "{all:#?}");
            assert_eq!(all[0].event, "conversation.settled");
            all[0].due_at
        }
    };

    let before = Utc::now();
    let leg = upload(&server.url, &key, json!({ "linkedid": "1700.1" }), wav(8000, 1)).await;
    let after = Utc::now();
    let due = settled_due(catalog.clone(), &leg["conversation_id"]).await;
    let wait = chrono::Duration::seconds(300);
    assert!(due >= before + wait - chrono::Duration::milliseconds(1) && due <= after + wait);

    let last =
        upload(&server.url, &key, json!({ "linkedid": "1800.1", "final": true }), wav(8000, 2))
            .await;
    let due = settled_due(catalog.clone(), &last["conversation_id"]).await;
    assert!(due <= Utc::now(), "a final upload settles at once");

    // "final" is not part of the upload's identity: the same upload with it
    // is a duplicate.
    let form = Form::new()
        .part("metadata", Part::text(json!({ "linkedid": "1700.1", "final": true }).to_string()))
        .part(
            "audio",
            Part::bytes(wav(8000, 1)).file_name("call.wav").mime_str("audio/wav").unwrap(),
        );
    let again = reqwest::Client::new()
        .post(format!("{}/v1/recordings", server.url))
        .bearer_auth(&key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], leg["id"]);
}

//! Capacity against a real vault whose primary store is moto's S3 server
//! (`CV_TEST_S3_ENDPOINT`) with a quota: usage summed from the catalog,
//! the forecast from seeded daily samples, the alerts raised at their
//! thresholds and resolved once back under, the gauges on `/metrics`.

use std::time::Duration;

use bytes::Bytes;
use callvault_model::RecordingSource;
use callvault_storage::capacity::{
    ALERT_CAPACITY, ALERT_FORECAST, CapacityConfig, CapacitySource, check_alerts, publish,
};
use callvault_store::{AlertScope, StorageSample, StoreConfig};
use callvault_vault::ingest::{IngestRequest, RecordingMetadata};
use callvault_vault::{Vault, VaultConfig};
use chrono::Utc;

mod common;
use common::{s3_store, wav};

pub async fn open_vault(dir: &std::path::Path, store: StoreConfig) -> Vault {
    let config = VaultConfig {
        data_dir: dir.to_owned(),
        catalog_url: format!("sqlite://{}", dir.join("catalog.db").display()),
        catalog_max_connections: 4,
        store,
        max_concurrent_commits: 4,
        max_upload_bytes: 1 << 30,
        recovery_grace: Duration::from_secs(60),
        settle: Default::default(),
        disk: Default::default(),
        encryption: Default::default(),
        stores: Vec::new(),
    };
    let vault = Vault::open(config).await.unwrap();
    vault.recover().await.unwrap();
    vault
}

/// Ingests an upload of `audio`; its recording's id and stored size.
pub async fn ingest(
    vault: &Vault,
    tenant: callvault_model::TenantId,
    audio: Vec<u8>,
    call: &str,
) -> callvault_model::Recording {
    let metadata = RecordingMetadata { linkedid: Some(call.into()), ..Default::default() };
    let req = IngestRequest {
        tenant,
        description: metadata.describe().unwrap(),
        idempotency_key: None,
        source: RecordingSource::Upload,
        actor: "test".into(),
        flags: Vec::new(),
    };
    let body = futures::stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from(audio))]);
    vault.ingestor().ingest(req, body).await.unwrap().recording().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_thresholds_and_forecast_raise_and_resolve_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let Some(store) = s3_store("offsite", &dir.path().join("staging")).await else { return };
    let vault = open_vault(dir.path(), store).await;
    let acme = vault.catalog.create_tenant("acme", "test").await.unwrap().id;
    let beta = vault.catalog.create_tenant("beta", "test").await.unwrap().id;
    let mut used = 0u64;
    for i in 0..4 {
        used += ingest(&vault, acme, wav(2000, i), &format!("a{i}")).await.size_bytes;
    }
    used += ingest(&vault, beta, wav(1000, 99), "b").await.size_bytes;

    // Quota so that usage is 91 %: 80 and 90 crossed, 95 not.
    let quota = used * 100 / 91;
    let config = CapacityConfig {
        quota_bytes: [("offsite".to_owned(), quota)].into_iter().collect(),
        ..CapacityConfig::default()
    };
    let source = CapacitySource {
        catalog: vault.catalog.clone(),
        stores: vec![vault.store.clone()],
        quotas: config.quota_bytes.clone(),
    };
    // Ten days of samples growing 100 bytes a day up to yesterday.
    let now = Utc::now();
    let today = now.date_naive();
    for d in 1..=10u64 {
        vault
            .catalog
            .record_storage_sample(&StorageSample {
                store: "offsite".into(),
                tenant_id: None,
                day: today - chrono::Days::new(d),
                used_bytes: used - 100 * d,
                copies: 5,
                sampled_at: now,
            })
            .await
            .unwrap();
    }
    let report = source.report(now).await.unwrap();
    let s = &report.stores[0];
    assert_eq!(
        (s.store.as_str(), s.kind.as_str(), s.copies, s.used_bytes),
        ("offsite", "s3", 5, used)
    );
    assert_eq!(s.capacity_bytes, Some(quota));
    assert_eq!(s.free_bytes, Some(quota - used));
    let g7 = s.growth_bytes_per_day_7d.unwrap();
    assert!((g7 - 100.0).abs() < 1e-6, "{g7}");
    let days = s.days_until_full.unwrap();
    assert!((days - (quota - used) as f64 / 100.0).abs() < 1e-6, "{days}");
    assert!(days < 14.0, "the forecast is under the horizon: {days}");
    // Per tenant: each its own.
    let a = report.for_tenant(acme);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].copies, 4);
    assert_eq!(report.for_tenant(beta)[0].copies, 1);
    assert_eq!(a[0].used_bytes + report.for_tenant(beta)[0].used_bytes, used);

    check_alerts(vault.catalog.as_ref(), &report, &config).await.unwrap();
    let open = vault.catalog.list_alerts(AlertScope::System, true, 100).await.unwrap();
    let mut subjects: Vec<(String, String, String)> =
        open.iter().map(|a| (a.kind.clone(), a.subject.clone(), a.severity.clone())).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            (ALERT_CAPACITY.into(), "offsite:80%".into(), "warning".into()),
            (ALERT_CAPACITY.into(), "offsite:90%".into(), "critical".into()),
            (ALERT_FORECAST.into(), "offsite".into(), "warning".into()),
        ]
    );
    // Raised again: counted, not a second alert.
    check_alerts(vault.catalog.as_ref(), &report, &config).await.unwrap();
    assert_eq!(vault.catalog.list_alerts(AlertScope::System, true, 100).await.unwrap().len(), 3);

    // The gauges.
    source.record(&report).await.unwrap();
    let names = [(acme, "acme".to_owned()), (beta, "beta".to_owned())].into_iter().collect();
    publish(&vault.metrics, &report, &names);
    let m = vault.metrics.encode();
    assert!(
        m.contains(&format!("callvault_storage_used_bytes{{store=\"offsite\"}} {used}")),
        "{m}"
    );
    assert!(m.contains(&format!("callvault_storage_capacity_bytes{{store=\"offsite\"}} {quota}")));
    assert!(m.contains("callvault_storage_days_until_full{store=\"offsite\"}"));
    assert!(m.contains("callvault_storage_tenant_used_bytes{store=\"offsite\",tenant=\"acme\"}"));
    // Today's sample was recorded.
    let today_samples = vault.catalog.storage_samples("offsite", None, today).await.unwrap();
    assert_eq!(today_samples.len(), 1);
    assert_eq!(today_samples[0].used_bytes, used);

    // A bigger quota: every alert resolved.
    let roomy = CapacityConfig {
        quota_bytes: [("offsite".to_owned(), used * 1000)].into_iter().collect(),
        ..CapacityConfig::default()
    };
    let source = CapacitySource { quotas: roomy.quota_bytes.clone(), ..source };
    let report = source.report(Utc::now()).await.unwrap();
    assert!(report.stores[0].days_until_full.unwrap() > 14.0);
    check_alerts(vault.catalog.as_ref(), &report, &roomy).await.unwrap();
    assert!(vault.catalog.list_alerts(AlertScope::System, true, 100).await.unwrap().is_empty());
}

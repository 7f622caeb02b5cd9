//! The media service over a real vault (SQLite catalog, local object store
//! in a temp dir): derived formats made once and cached, signed links
//! served with Range, and refused when expired, tampered with or revoked.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use callvault_delivery::channel::{DeliveryFormat, Media};
use callvault_delivery::links::{LinkError, LinkToken};
use callvault_delivery::media_service::{
    LinkDestination, LinkKeys, LinkRequest, MediaService, ServeError,
};
use callvault_media::render::ogg_opus;
use callvault_model::{Recording, RecordingSource, TenantId};
use callvault_store::StoreConfig;
use callvault_vault::ingest::{IngestRequest, RecordingMetadata};
use callvault_vault::{Vault, VaultConfig};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The destinations' keys, as the catalog would hold them.
#[derive(Default)]
struct Keys(Mutex<HashMap<Uuid, LinkDestination>>);

#[async_trait]
impl LinkKeys for Keys {
    async fn destination(&self, id: Uuid) -> Result<Option<LinkDestination>, String> {
        Ok(self.0.lock().unwrap().get(&id).cloned())
    }
}

struct World {
    _dir: tempfile::TempDir,
    vault: Vault,
    service: Arc<MediaService>,
    tenant: TenantId,
    rec: Recording,
}

/// 3 s of a two-party call: a tone on the left, then one on the right.
fn call_opus() -> Vec<u8> {
    let n = 24_000;
    let tone =
        |i: usize, f: f64| ((i as f64 * f / 8000.0 * std::f64::consts::TAU).sin() * 9000.0) as i16;
    let left: Vec<i16> = (0..n).map(|i| if i < n / 2 { tone(i, 440.0) } else { 0 }).collect();
    let right: Vec<i16> = (0..n).map(|i| if i >= n / 2 { tone(i, 660.0) } else { 0 }).collect();
    ogg_opus::encode(&[left, right], 8000, 24_000, 0).unwrap()
}

async fn world() -> World {
    world_with(Default::default(), false).await
}

/// A world whose tenant encrypts (when `encrypt`) under `encryption`.
async fn world_with(
    encryption: callvault_vault::encryption::EncryptionConfig,
    encrypt: bool,
) -> World {
    let dir = tempfile::tempdir().unwrap();
    let config = VaultConfig {
        data_dir: dir.path().to_owned(),
        catalog_url: format!("sqlite://{}", dir.path().join("catalog.db").display()),
        catalog_max_connections: 4,
        store: StoreConfig {
            name: "primary".into(),
            url: format!("file://{}", dir.path().join("objects").display()),
            options: Default::default(),
            staging_dir: dir.path().join("staging"),
        },
        stores: Vec::new(),
        max_concurrent_commits: 2,
        max_upload_bytes: 1 << 30,
        recovery_grace: Duration::from_secs(60),
        settle: Default::default(),
        disk: Default::default(),
        encryption,
    };
    let vault = Vault::open(config).await.unwrap();
    vault.recover().await.unwrap();
    let tenant = vault.catalog.create_tenant("acme", "test").await.unwrap().id;
    if encrypt {
        vault
            .catalog
            .set_tenant_encryption(tenant, true, "test", chrono::Utc::now())
            .await
            .unwrap();
    }
    let req = IngestRequest {
        tenant,
        description: RecordingMetadata::default().describe().unwrap(),
        idempotency_key: None,
        source: RecordingSource::Upload,
        actor: "test".into(),
        flags: Vec::new(),
    };
    let body = futures::stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from(call_opus()))]);
    let rec = vault.ingestor().ingest(req, body).await.unwrap().recording().clone();
    let service =
        MediaService::new(vault.reader(), "https://vault.example.com/", vault.instance.id());
    World { _dir: dir, vault, service, tenant, rec }
}

/// (file, query) of a link.
fn split(url: &str) -> (String, String) {
    let (path, query) = url.split_once('?').unwrap();
    (path.rsplit('/').next().unwrap().to_owned(), query.to_owned())
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mp3_is_made_once_and_then_served_from_the_store() {
    let w = world().await;
    let dest = Uuid::now_v7();
    let media = w.service.for_destination(dest, &[3; 32], Duration::from_secs(3600)).unwrap();
    // Four channels asking at once: one transcode.
    let calls = (0..4).map(|_| media.audio(&w.rec, DeliveryFormat::Mp3));
    let all = futures::future::join_all(calls).await;
    let first = all[0].as_ref().unwrap();
    assert!(all.iter().all(|a| a.as_ref().unwrap().sha256 == first.sha256));
    assert_eq!(w.service.transcodes(), 1);
    assert_eq!((first.extension, first.content_type), ("mp3", "audio/mpeg"));
    assert_eq!(first.sha256, hex::encode(Sha256::digest(&first.bytes)));
    assert_eq!(first.bytes[0], 0xFF, "an MP3 frame first");
    // The size hint is close to, and not below, the real size.
    let hint = media.size_hint(&w.rec, DeliveryFormat::Mp3).await.unwrap();
    let len = first.bytes.len() as u64;
    assert!(hint >= len && hint <= len + len / 10 + 2048, "hint {hint} for {len}");
    // Another process (a fresh service over the same store) finds it.
    let other = MediaService::new(w.vault.reader(), "https://x", "other");
    let again = other.audio(&w.rec, DeliveryFormat::Mp3).await.unwrap();
    assert_eq!((again.sha256.as_str(), other.transcodes()), (first.sha256.as_str(), 0));
    // The original is the stored object, checked.
    let orig = media.audio(&w.rec, DeliveryFormat::Original).await.unwrap();
    assert_eq!(orig.sha256, w.rec.sha256);
    // Opus is the stored family: never transcoded into itself.
    let opus = media.audio(&w.rec, DeliveryFormat::Opus).await.unwrap();
    assert_eq!(opus.sha256, w.rec.sha256);
    // The derived object is a cache, not a copy: no catalog row names it,
    // and a damaged one is made again.
    let root = w.vault.store.local_root().unwrap().to_owned();
    let dir = root.join(format!("derived/{}/{}", w.tenant, w.rec.id));
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(name, format!("mp3-{}.mp3", first.sha256));
    let known = w
        .vault
        .catalog
        .known_object_keys("primary", &[format!("derived/{}/{}/{name}", w.tenant, w.rec.id)])
        .await
        .unwrap();
    assert!(known.is_empty());
    let mut damaged = std::fs::read(&files[0]).unwrap();
    damaged[500] ^= 0xFF;
    std::fs::remove_file(&files[0]).unwrap();
    std::fs::write(&files[0], damaged).unwrap();
    let remade = other.audio(&w.rec, DeliveryFormat::Mp3).await.unwrap();
    assert_eq!(remade.sha256, first.sha256, "the same bytes again");
    assert_eq!(other.transcodes(), 1);
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(files, 1);
    // A missing one too.
    std::fs::remove_dir_all(&dir).unwrap();
    w.service.audio(&w.rec, DeliveryFormat::Mp3).await.unwrap();
    assert_eq!(w.service.transcodes(), 2);
    // WAV, derived from the Opus object: 16-bit stereo at 8 kHz.
    let wav = media.audio(&w.rec, DeliveryFormat::Wav).await.unwrap();
    assert_eq!(wav.bytes.len() as u64, 44 + 24_000 * 4);
    // Ogg/Opus is catalogued at 48 kHz: the hint is high, never low.
    assert!(wav.bytes.len() as u64 <= media.size_hint(&w.rec, DeliveryFormat::Wav).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_serve_ranges_until_expired_tampered_or_revoked() {
    let w = world().await;
    let dest = Uuid::now_v7();
    let keys = Keys::default();
    keys.0
        .lock()
        .unwrap()
        .insert(dest, LinkDestination { tenant_id: w.tenant, link_key: vec![5; 32] });
    let media: Arc<dyn Media> =
        w.service.for_destination(dest, &[5; 32], Duration::from_secs(600)).unwrap();
    let url = media.link(&w.rec, DeliveryFormat::Mp3);
    assert!(
        url.starts_with(&format!("https://vault.example.com/links/{}.mp3?d={dest}&e=", w.rec.id))
    );
    let token = LinkToken::parse_url(&url).unwrap();
    let t = now();
    assert!(token.expires >= t + 590 && token.expires <= t + 610);
    let (file, query) = split(&url);
    let req = |range: Option<&'static str>, now: u64| LinkRequest {
        file: &file,
        query: &query,
        range,
        now,
    };

    let whole = w.service.serve_link(&keys, req(None, t)).await.unwrap();
    assert_eq!((whole.range.clone(), whole.content_type), (None, "audio/mpeg"));
    assert_eq!(whole.total, whole.body.len() as u64);
    let part = w.service.serve_link(&keys, req(Some("bytes=100-199"), t)).await.unwrap();
    assert_eq!(part.range, Some(100..200));
    assert_eq!(part.total, whole.total);
    assert_eq!(&part.body[..], &whole.body[100..200]);
    let tail = w.service.serve_link(&keys, req(Some("bytes=-50"), t)).await.unwrap();
    assert_eq!(&tail.body[..], &whole.body[whole.body.len() - 50..]);
    let open = w.service.serve_link(&keys, req(Some("bytes=1000-"), t)).await.unwrap();
    assert_eq!(open.range, Some(1000..whole.total));
    let past = w.service.serve_link(&keys, req(Some("bytes=99999999-"), t)).await;
    assert!(matches!(past, Err(ServeError::RangeNotSatisfiable { total }) if total == whole.total));
    assert_eq!(w.service.transcodes(), 1, "every request after the first is served from the store");

    // Expired.
    let r = w.service.serve_link(&keys, req(None, token.expires + 1)).await;
    assert!(matches!(r, Err(ServeError::Link(LinkError::Expired))), "{r:?}");
    // Tampered: another recording, another format, a later expiry.
    let other_rec = Uuid::now_v7().to_string();
    for (f, q) in [
        (file.replace(&w.rec.id.to_string(), &other_rec), query.clone()),
        (file.replace(".mp3", ".wav"), query.clone()),
        (
            file.clone(),
            query
                .replace(&format!("e={}", token.expires), &format!("e={}", token.expires + 86_400)),
        ),
    ] {
        let r = w
            .service
            .serve_link(&keys, LinkRequest { file: &f, query: &q, range: None, now: t })
            .await;
        assert!(matches!(r, Err(ServeError::Link(LinkError::BadSignature))), "{f}?{q}: {r:?}");
    }
    let r = w
        .service
        .serve_link(&keys, LinkRequest { file: "x.mp3", query: &query, range: None, now: t })
        .await;
    assert!(matches!(r, Err(ServeError::Link(LinkError::Malformed(_)))), "{r:?}");

    // A valid signature for a recording of another tenant's destination.
    let other_tenant = w.vault.catalog.create_tenant("globex", "test").await.unwrap().id;
    let dest2 = Uuid::now_v7();
    keys.0
        .lock()
        .unwrap()
        .insert(dest2, LinkDestination { tenant_id: other_tenant, link_key: vec![6; 32] });
    let media2 = w.service.for_destination(dest2, &[6; 32], Duration::from_secs(600)).unwrap();
    let (f2, q2) = split(&media2.link(&w.rec, DeliveryFormat::Mp3));
    let r = w
        .service
        .serve_link(&keys, LinkRequest { file: &f2, query: &q2, range: None, now: t })
        .await;
    assert!(matches!(r, Err(ServeError::NotFound)), "{r:?}");

    // The original, by its own extension.
    let (fo, qo) = split(&media.link(&w.rec, DeliveryFormat::Original));
    assert!(fo.ends_with(".opus"));
    let orig = w
        .service
        .serve_link(&keys, LinkRequest { file: &fo, query: &qo, range: None, now: t })
        .await
        .unwrap();
    assert_eq!(orig.sha256, w.rec.sha256);
    assert_eq!(orig.content_type, "audio/ogg; codecs=opus");

    // Rotating the destination's key revokes every link it had.
    keys.0.lock().unwrap().get_mut(&dest).unwrap().link_key = vec![9; 32];
    let r = w.service.serve_link(&keys, req(None, t)).await;
    assert!(matches!(r, Err(ServeError::Link(LinkError::BadSignature))), "{r:?}");
    // A deleted destination: the same answer, nothing learnt.
    keys.0.lock().unwrap().remove(&dest);
    let r = w.service.serve_link(&keys, req(None, t)).await;
    assert!(matches!(r, Err(ServeError::Link(LinkError::BadSignature))), "{r:?}");
}

#[test]
fn range_headers() {
    use callvault_delivery::media_service::parse_range;
    let ok = |h: &str| parse_range(h, 1000).unwrap();
    assert_eq!(ok("bytes=0-0"), Some(0..1));
    assert_eq!(ok("bytes=0-999"), Some(0..1000));
    assert_eq!(ok("bytes=900-5000"), Some(900..1000));
    assert_eq!(ok("bytes=-1"), Some(999..1000));
    assert_eq!(ok("bytes=-5000"), Some(0..1000));
    // Understood as "not a range": the whole file.
    for h in ["items=0-1", "bytes=0-1,5-6", "bytes=5-1", "bytes=a-b", "bytes=", "bytes=--1"] {
        assert_eq!(ok(h), None, "{h}");
    }
    for h in ["bytes=1000-", "bytes=1000-2000", "bytes=-0"] {
        assert!(
            matches!(parse_range(h, 1000), Err(ServeError::RangeNotSatisfiable { total: 1000 })),
            "{h}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_recording_is_served_decrypted_and_its_mp3_never_cached() {
    let encryption = callvault_vault::encryption::EncryptionConfig {
        active_key: Some("k".into()),
        keys: [("k".to_owned(), format!("hex:{}", "ab".repeat(32)))].into(),
    };
    let w = world_with(encryption, true).await;
    let root = w.vault.store.local_root().unwrap().to_owned();
    let stored = std::fs::read(root.join(&w.rec.object_key)).unwrap();
    assert_eq!(&stored[..4], b"CVEN", "the object is sealed");
    assert_eq!(stored.len() as u64, 20 + w.rec.size_bytes + 16 * w.rec.size_bytes.div_ceil(65536));
    let dest = Uuid::now_v7();
    let media = w.service.for_destination(dest, &[3; 32], Duration::from_secs(3600)).unwrap();
    // The original is the audio as uploaded, its sha256 the catalog's.
    let orig = media.audio(&w.rec, DeliveryFormat::Original).await.unwrap();
    assert_eq!(orig.sha256, w.rec.sha256);
    assert_eq!(&orig.bytes[..4], b"OggS");
    // MP3 is made from the decrypted audio, and made again each time: a
    // cached copy would be the call in the clear.
    let mp3 = media.audio(&w.rec, DeliveryFormat::Mp3).await.unwrap();
    assert_eq!(mp3.bytes[0], 0xFF);
    media.audio(&w.rec, DeliveryFormat::Mp3).await.unwrap();
    assert_eq!(w.service.transcodes(), 2);
    assert!(!root.join(format!("derived/{}/{}", w.tenant, w.rec.id)).exists());
    // A link serves Ranges of it.
    let keys = Keys::default();
    keys.0
        .lock()
        .unwrap()
        .insert(dest, LinkDestination { tenant_id: w.tenant, link_key: vec![3; 32] });
    let url = media.link(&w.rec, DeliveryFormat::Original);
    let (file, query) = split(&url);
    let part = w
        .service
        .serve_link(
            &keys,
            LinkRequest { file: &file, query: &query, range: Some("bytes=100-199"), now: now() },
        )
        .await
        .unwrap();
    assert_eq!(part.body, orig.bytes.slice(100..200));
    // A damaged object is refused, never served.
    let mut bad = stored.clone();
    bad[40] ^= 1;
    std::fs::remove_file(root.join(&w.rec.object_key)).unwrap();
    std::fs::write(root.join(&w.rec.object_key), bad).unwrap();
    assert!(media.audio(&w.rec, DeliveryFormat::Original).await.is_err());
    assert!(media.audio(&w.rec, DeliveryFormat::Mp3).await.is_err());
}

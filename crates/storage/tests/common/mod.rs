//! What the storage tests share: moto's S3 server as a store, and audio.

use callvault_store::StoreConfig;

pub fn endpoint() -> Option<String> {
    match std::env::var("CV_TEST_S3_ENDPOINT") {
        Ok(e) => Some(e.trim_end_matches('/').to_owned()),
        Err(_) if std::env::var("CV_TEST_SKIP_SERVICES").as_deref() == Ok("1") => {
            eprintln!("skipping: CV_TEST_S3_ENDPOINT is not set and CV_TEST_SKIP_SERVICES=1");
            None
        }
        Err(_) => panic!("CV_TEST_S3_ENDPOINT is not set (or set CV_TEST_SKIP_SERVICES=1)"),
    }
}

/// A fresh bucket on moto and a store config for it.
pub async fn s3_store(name: &str, staging: &std::path::Path) -> Option<StoreConfig> {
    let endpoint = endpoint()?;
    let bucket = format!("cv-storage-test-{}", uuid::Uuid::now_v7().simple());
    let r = reqwest::Client::new().put(format!("{endpoint}/{bucket}")).send().await.unwrap();
    assert!(r.status().is_success(), "create bucket: {}", r.status());
    let options = [
        ("aws_endpoint", endpoint.as_str()),
        ("aws_region", "us-east-1"),
        ("aws_access_key_id", "testing"),
        ("aws_secret_access_key", "testing"),
        ("aws_allow_http", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    Some(StoreConfig {
        name: name.into(),
        url: format!("s3://{bucket}"),
        options,
        staging_dir: staging.to_owned(),
    })
}

pub fn wav(bytes: usize, seed: u64) -> Vec<u8> {
    let frames = bytes / 2;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + frames as u32 * 2).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&16000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(frames as u32 * 2).to_le_bytes());
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for _ in 0..frames * 2 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        out.push(s as u8);
    }
    out
}

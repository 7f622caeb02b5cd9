//! API keys: generated at random, shown once, stored as their sha256.
//!
//! A key is `cv_` (tenant) or `cva_` (admin) followed by 43 characters of
//! base64url (256 random bits). High-entropy secrets need no slow password
//! hash: sha256 makes a stolen catalog useless and keeps lookups cheap.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use callvault_model::TenantId;
use callvault_store::{ApiKey, Catalog, CatalogError, KeyRole, NewApiKey};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A freshly created key: the secret (to show once) and its stored row.
pub struct IssuedKey {
    pub secret: String,
    pub key: ApiKey,
}

/// Make a new key for a tenant (or an admin key when `tenant` is None).
pub async fn issue_key(
    catalog: &dyn Catalog,
    tenant: Option<TenantId>,
    label: &str,
    actor: &str,
) -> Result<IssuedKey, CatalogError> {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let role = if tenant.is_some() { KeyRole::Tenant } else { KeyRole::Admin };
    let scheme = match role {
        KeyRole::Tenant => "cv_",
        KeyRole::Admin => "cva_",
    };
    let secret =
        format!("{scheme}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw));
    let prefix: String = secret.chars().take(scheme.len() + 6).collect();
    let key = catalog
        .create_api_key(
            NewApiKey {
                tenant_id: tenant,
                role,
                label: label.to_owned(),
                prefix,
                hash: hash_key(&secret),
            },
            actor,
        )
        .await?;
    Ok(IssuedKey { secret, key })
}

/// The stored form of a key.
pub fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Verified keys, kept for a short while so that every request does not
/// cost a catalog round trip. Revocation takes effect within the TTL.
pub struct KeyCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (ApiKey, Instant)>>,
}

impl KeyCache {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()) }
    }

    /// The active key with this secret, if any.
    pub async fn lookup(
        &self,
        catalog: &dyn Catalog,
        secret: &str,
    ) -> Result<Option<ApiKey>, CatalogError> {
        if !(secret.starts_with("cv_") || secret.starts_with("cva_")) || secret.len() > 128 {
            return Ok(None);
        }
        let hash = hash_key(secret);
        let now = Instant::now();
        if let Some((key, at)) = self.entries.lock().unwrap_or_else(|e| e.into_inner()).get(&hash)
            && now.duration_since(*at) < self.ttl
        {
            return Ok(Some(key.clone()));
        }
        let found = catalog.api_key_by_hash(&hash).await?;
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 10_000 {
            entries.retain(|_, (_, at)| now.duration_since(*at) < self.ttl);
        }
        match &found {
            Some(key) => {
                entries.insert(hash, (key.clone(), now));
            }
            None => {
                entries.remove(&hash);
            }
        }
        Ok(found)
    }

    /// Forget every cached key (after a revocation through this process).
    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

//! The `[storage]` section: stores besides `[store]`, the default policy,
//! and how the storage jobs run.
//!
//! ```toml
//! [storage.stores.archive]
//! url = "s3://recordings-archive/callvault"
//! role = "archive"
//! [storage.stores.archive.options]
//! aws_endpoint = "https://s3.example.com"
//!
//! [storage.policy]
//! copies = 1
//! stores = ["primary"]
//! tier = { after_days = 30, from = "primary", to = "archive" }
//! ```
//!
//! A store's name is its key (`CALLVAULT_STORAGE__STORES__ARCHIVE__URL`
//! sets the url above); `[store]` is always the store named `primary`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use callvault_store::{StoragePolicy, StoreConfig, valid_store_name};
use callvault_vault::stores::{NamedStore, PRIMARY, StoreRole};
use serde::{Deserialize, Serialize};

/// `[storage]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StorageSection {
    /// Stores besides `[store]`, by name.
    pub stores: BTreeMap<String, StoreEntry>,
    /// The policy of tenants without one of their own.
    pub policy: StoragePolicy,
    pub jobs: JobsConfig,
}

/// One named store.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoreEntry {
    /// `file://PATH`, `s3://BUCKET[/PREFIX]`, `gs://BUCKET`, `az://CONTAINER`.
    pub url: String,
    /// `replica`, `archive` or `fallback` (`[store]` is the primary).
    pub role: StoreRole,
    /// Backend options in `object_store`'s names, as for `[store]`.
    #[serde(default, deserialize_with = "scalars_as_text")]
    pub options: BTreeMap<String, String>,
}

/// How the storage jobs run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Run the storage worker in `serve`.
    pub enabled: bool,
    /// Seconds between passes over the catalog when there is nothing to do.
    pub interval_secs: u64,
    /// Seconds a pass holds the storage lease without renewing it; another
    /// process takes over after this long if the holder died.
    pub lease_secs: u64,
    /// Recordings read per catalog query.
    pub batch: u32,
    /// Copies made at once.
    pub concurrency: usize,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self { enabled: true, interval_secs: 60, lease_secs: 120, batch: 200, concurrency: 4 }
    }
}

impl JobsConfig {
    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.interval_secs)
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs)
    }
}

/// Text, numbers and booleans as text (object_store's options).
fn scalars_as_text<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Bool(bool),
        Int(i64),
        Float(f64),
    }
    let table = BTreeMap::<String, Scalar>::deserialize(d)?;
    Ok(table
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                Scalar::Text(s) => s,
                Scalar::Bool(b) => b.to_string(),
                Scalar::Int(i) => i.to_string(),
                Scalar::Float(f) => f.to_string(),
            };
            (k, text)
        })
        .collect())
}

const URL_PREFIXES: &[&str] =
    &["file://", "s3://", "s3a://", "gs://", "az://", "azure://", "abfs://", "abfss://"];

impl StorageSection {
    /// Checks at start-up; the error names the key (below `storage.`).
    pub fn validate(&self) -> Result<(), (String, String)> {
        for (name, entry) in &self.stores {
            let key = |k: &str| format!("storage.stores.{name}{k}");
            if !valid_store_name(name) {
                return Err((key(""), "names are 1-64 characters of a-z, 0-9, '-', '_'".into()));
            }
            if name == PRIMARY {
                return Err((key(""), "\"primary\" is the store of [store]".into()));
            }
            if entry.role == StoreRole::Primary {
                return Err((key(".role"), "only [store] is the primary".into()));
            }
            if !URL_PREFIXES.iter().any(|p| entry.url.starts_with(p)) {
                return Err((key(".url"), "expected file://, s3://, gs:// or az://".into()));
            }
        }
        if self.stores.values().filter(|e| e.role == StoreRole::Fallback).count() > 1 {
            return Err((
                "storage.stores".into(),
                "at most one store has the fallback role".into(),
            ));
        }
        self.check_policy(&self.policy).map_err(|m| ("storage.policy".into(), m))?;
        let jobs = &self.jobs;
        for (key, value) in [
            ("storage.jobs.interval_secs", jobs.interval_secs),
            ("storage.jobs.lease_secs", jobs.lease_secs),
            ("storage.jobs.batch", u64::from(jobs.batch)),
            ("storage.jobs.concurrency", jobs.concurrency as u64),
        ] {
            if value == 0 {
                return Err((key.into(), "must be positive".into()));
            }
        }
        Ok(())
    }

    /// A policy's own checks, and that every store it names is configured.
    pub fn check_policy(&self, policy: &StoragePolicy) -> Result<(), String> {
        policy.validate().map_err(|e| e.to_string())?;
        let known = |s: &str| s == PRIMARY || self.stores.contains_key(s);
        let named = policy.stores.iter().chain(policy.tier.iter().flat_map(|t| [&t.from, &t.to]));
        for store in named {
            if !known(store) {
                return Err(format!("store {store:?} is not configured"));
            }
        }
        Ok(())
    }

    /// The stores the vault opens besides the primary; remote ones stage
    /// in `data_dir/staging` like the primary.
    pub fn named_stores(&self, data_dir: &Path) -> Vec<NamedStore> {
        self.stores
            .iter()
            .map(|(name, e)| NamedStore {
                config: StoreConfig {
                    name: name.clone(),
                    url: e.url.clone(),
                    options: e.options.clone(),
                    staging_dir: data_dir.join("staging"),
                },
                role: e.role,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(role: StoreRole) -> StoreEntry {
        StoreEntry { url: "file:///tmp/x".into(), role, options: BTreeMap::new() }
    }

    #[test]
    fn stores_and_policy_are_checked_with_the_key_named() {
        let mut s = StorageSection::default();
        s.validate().unwrap();
        s.stores.insert("primary".into(), entry(StoreRole::Replica));
        assert_eq!(s.validate().unwrap_err().0, "storage.stores.primary");
        s.stores.clear();
        s.stores.insert("main2".into(), entry(StoreRole::Primary));
        assert_eq!(s.validate().unwrap_err().0, "storage.stores.main2.role");
        s.stores.clear();
        s.stores.insert("a".into(), entry(StoreRole::Fallback));
        s.stores.insert("b".into(), entry(StoreRole::Fallback));
        assert_eq!(s.validate().unwrap_err().0, "storage.stores");
        s.stores.clear();
        s.policy.stores = vec!["primary".into(), "offsite".into()];
        let (key, msg) = s.validate().unwrap_err();
        assert_eq!(key, "storage.policy");
        assert!(msg.contains("offsite"), "{msg}");
        s.stores.insert("offsite".into(), entry(StoreRole::Replica));
        s.validate().unwrap();
        s.stores.get_mut("offsite").unwrap().url = "ftp://x".into();
        assert_eq!(s.validate().unwrap_err().0, "storage.stores.offsite.url");
    }
}

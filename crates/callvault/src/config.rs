//! Configuration: one TOML tree, every key overridable by an environment
//! variable, unknown keys refused, defaults that run with no file at all.
//!
//! Environment variables: `CALLVAULT_<SECTION>__<KEY>` sets `section.key`
//! (`CALLVAULT_SERVER__LISTEN=0.0.0.0:8080`), values parsed as TOML where
//! they parse (numbers, booleans) and as strings otherwise. Two short forms
//! are kept for the settings everyone changes: `CALLVAULT_DATABASE_URL`
//! (`catalog.url`) and `CALLVAULT_STORE_URL` (`store.url`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use callvault_assurance::AssuranceSection;
use callvault_capture_driver::config::CaptureSection;
use callvault_delivery::config::DeliverySection;
use callvault_siprec::config::SipConfig;
use callvault_storage::config::StorageSection;
use callvault_storage::retention::RetentionConfig;
use callvault_vault::VaultConfig;
use serde::{Deserialize, Serialize};

/// Environment variables that are not configuration keys.
const NOT_KEYS: &[&str] = &["CALLVAULT_CONFIG", "CALLVAULT_LOG"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where callvault keeps its own files: the SQLite catalog, the default
    /// local store and upload staging.
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub catalog: CatalogConfig,
    pub store: StoreSection,
    pub log: LogConfig,
    pub sip: SipConfig,
    pub capture: CaptureSection,
    pub delivery: DeliverySection,
    /// Retention runs, the trash and its purge, the mass-deletion guard.
    pub retention: RetentionConfig,
    /// Stores besides `[store]`, the default storage policy, storage jobs.
    pub storage: StorageSection,
    /// Capacity: thresholds, forecast horizon, remote stores' quotas.
    pub capacity: callvault_storage::capacity::CapacityConfig,
    /// The background scrubber: schedule and rate.
    pub scrub: callvault_storage::scrub::ScrubConfig,
    /// Encryption at rest: master keys and the active one.
    pub encryption: callvault_vault::encryption::EncryptionConfig,
    pub assurance: AssuranceSection,
    /// The web console's sessions: cookie flags, idle and absolute ends.
    pub console: callvault_api::session::ConsoleConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address of the HTTP API.
    pub listen: SocketAddr,
    /// How long shutdown waits for in-flight requests (uploads) to finish.
    pub shutdown_grace_secs: u64,
    /// Largest accepted audio upload.
    pub max_upload_bytes: u64,
    /// Largest accepted metadata part of an upload.
    pub max_metadata_bytes: usize,
    /// After how long an unfinished upload whose writer cannot be checked
    /// (another machine sharing the catalog) counts as abandoned.
    pub recovery_grace_secs: u64,
    /// Uploads that may be in their store-and-commit phase at once (each
    /// holds up to 16 MiB in memory when the store is remote).
    pub max_concurrent_commits: usize,
    /// How long a verified API key is cached before it is looked up again
    /// (a revoked key stops working within this time).
    pub key_cache_secs: u64,
    /// How long a request body may send nothing before the request ends
    /// with 408 and its staging file is removed.
    pub body_idle_timeout_secs: u64,
    /// Uploads one tenant may have in flight at once; beyond it 429 with
    /// Retry-After, so that one tenant's stalled or runaway clients leave
    /// room for everyone else.
    pub max_uploads_per_tenant: usize,
    /// Connections the API keeps open at once. At the cap the longest-idle
    /// connection without a request in flight is closed to make room, or,
    /// with none, the new one is refused at once. Lowered at start-up to
    /// fit the process's descriptor limit.
    pub max_connections: usize,
    /// How long a connection may take to send a request's headers, counted
    /// from its opening or from the previous response (so it is also the
    /// keep-alive idle timeout).
    pub header_read_timeout_secs: u64,
    /// The data_dir's critical free-space watermark: below it `/readyz`
    /// answers 503, new SIPREC sessions are answered 503 with Retry-After
    /// and live capture opens no new calls (calls being recorded go on).
    pub min_free_disk_mib: u64,
    /// The data_dir's low free-space watermark: below it a `disk_low`
    /// alert is raised (taken as `min_free_disk_mib` when lower).
    pub disk_low_mib: u64,
    /// How often the data_dir's free space is read.
    pub disk_check_secs: u64,
    /// The address the world reaches this server at (`https://rec.example.com`):
    /// signed links in e-mails, CRM cards and webhooks point here. Empty:
    /// `http://` + `listen`, which only this machine can reach.
    pub public_url: String,
    /// After how long without another recording an uploaded call counts as
    /// settled and is delivered (an upload with `"final": true`: at once).
    pub settle_upload_secs: u64,
    /// The same for calls recorded by SIPREC or capture, which are stored
    /// once the whole call ended.
    pub settle_live_secs: u64,
    /// A recording joins the conversation of one of its keys (SIPREC
    /// group, Cisco GUID, linkedid) only if that conversation ended at most
    /// this long before it starts: SBCs that reuse group ids (a fixed
    /// value, or one that wraps) must not merge unrelated calls.
    pub rejoin_window_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogConfig {
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`. Empty: SQLite in
    /// `data_dir/catalog.db`.
    pub url: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// `file://PATH`, `s3://BUCKET[/PREFIX]`, `gs://BUCKET`, `az://CONTAINER`.
    /// Empty: local disk in `data_dir/objects`.
    pub url: String,
    /// Backend options in `object_store`'s names (`aws_endpoint`,
    /// `aws_region`, `aws_access_key_id`, `aws_secret_access_key`,
    /// `aws_allow_http`, `google_service_account`, `azure_storage_account_name`...).
    /// Values are text to `object_store`; booleans and numbers are taken as
    /// written (`aws_allow_http = true`, `CALLVAULT_STORE__OPTIONS__AWS_REGION=1`).
    #[serde(deserialize_with = "scalars_as_text")]
    pub options: BTreeMap<String, String>,
}

/// A table of scalars read as text: `true`, `1` and `"1"` are all `"1"`-like
/// strings to a consumer that wants text (object_store's options).
fn scalars_as_text<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    let table = BTreeMap::<String, toml::Value>::deserialize(d)?;
    table
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                toml::Value::String(s) => s,
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                other => {
                    return Err(serde::de::Error::custom(format!(
                        "option {k}: expected text, a number or a boolean, found {}",
                        other.type_str()
                    )));
                }
            };
            Ok((k, text))
        })
        .collect()
}

/// Whether a store option holds a secret (`callvault config` hides those
/// and shows the rest: region, endpoint, bucket settings).
pub fn is_secret_option(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "secret",
        "password",
        "token",
        "credential",
        "private",
        "sas",
        "access_key",
        "account_key",
        "service_account",
    ]
    .iter()
    .any(|w| k.contains(w))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A tracing filter: `info`, `callvault=debug,info`, ...
    pub level: String,
    /// `text` or `json`.
    pub format: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./callvault-data"),
            server: ServerConfig::default(),
            catalog: CatalogConfig::default(),
            store: StoreSection::default(),
            log: LogConfig::default(),
            sip: SipConfig::default(),
            capture: CaptureSection::default(),
            delivery: DeliverySection::default(),
            retention: RetentionConfig::default(),
            storage: StorageSection::default(),
            capacity: Default::default(),
            scrub: Default::default(),
            encryption: Default::default(),
            assurance: AssuranceSection::default(),
            console: Default::default(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            shutdown_grace_secs: 60,
            max_upload_bytes: 4 * 1024 * 1024 * 1024,
            max_metadata_bytes: 64 * 1024,
            key_cache_secs: 30,
            recovery_grace_secs: 86_400,
            max_concurrent_commits: 16,
            body_idle_timeout_secs: 30,
            max_uploads_per_tenant: 32,
            max_connections: 4096,
            header_read_timeout_secs: 10,
            min_free_disk_mib: 64,
            disk_low_mib: 1024,
            disk_check_secs: 2,
            settle_upload_secs: 120,
            settle_live_secs: 10,
            rejoin_window_secs: 600,
            public_url: String::new(),
        }
    }
}

impl Default for CatalogConfig {
    fn default() -> Self {
        Self { url: String::new(), max_connections: 16 }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { level: "info".into(), format: "text".into() }
    }
}

/// A configuration that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("config key {key}: {message}")]
    Invalid { key: String, message: String },
}

impl Config {
    /// Load the file (when given), overlay the environment, validate.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut tree = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|source| ConfigError::Read { path: p.to_owned(), source })?;
                text.parse::<toml::Table>().map_err(|e| ConfigError::Parse {
                    path: p.to_owned(),
                    message: e.message().to_owned(),
                })?
            }
            None => toml::Table::new(),
        };
        // Validate the file alone first, so that its errors name the file.
        if let Some(p) = path {
            Self::from_tree(tree.clone())
                .map_err(|message| ConfigError::Parse { path: p.to_owned(), message })?;
        }
        let mut env_keys = Vec::new();
        for (var, value) in env {
            let Some(rest) = var.strip_prefix("CALLVAULT_") else { continue };
            if NOT_KEYS.contains(&var.as_str()) {
                continue;
            }
            let key: Vec<String> = match rest {
                "DATABASE_URL" => vec!["catalog".into(), "url".into()],
                "STORE_URL" => vec!["store".into(), "url".into()],
                _ => rest.split("__").map(|s| s.to_ascii_lowercase()).collect(),
            };
            if key.iter().any(String::is_empty) {
                return Err(ConfigError::Env { var, message: "empty key segment".into() });
            }
            set_path(&mut tree, &key, parse_env_value(&value))
                .map_err(|message| ConfigError::Env { var: var.clone(), message })?;
            env_keys.push((var, key.join(".")));
        }
        let config = Self::from_tree(tree).map_err(|message| {
            // Name the variable when the bad key came from the environment:
            // the error's path is the key the variable set, or inside it.
            let path = message
                .strip_prefix("at ")
                .and_then(|m| m.split_once(':'))
                .map(|(p, _)| p.to_owned());
            let from_env = env_keys.iter().find(|(_, key)| {
                path.as_deref().is_some_and(|p| {
                    p == key
                        || p.starts_with(&format!("{key}."))
                        || key.starts_with(&format!("{p}."))
                })
            });
            match from_env {
                Some((var, _)) => ConfigError::Env { var: var.clone(), message },
                None => ConfigError::Invalid {
                    key: path.unwrap_or_else(|| "(environment)".into()),
                    message,
                },
            }
        })?;
        config.validate()?;
        Ok(config)
    }

    fn from_tree(tree: toml::Table) -> Result<Self, String> {
        let text = toml::to_string(&tree).map_err(|e| e.to_string())?;
        let de = toml::Deserializer::parse(&text).map_err(|e| e.to_string())?;
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let message = inner.message().trim_end().to_owned();
            if path == "." || path.is_empty() { message } else { format!("at {path}: {message}") }
        })
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: &str| ConfigError::Invalid {
            key: key.into(),
            message: message.into(),
        };
        if !self.catalog.url.is_empty()
            && !["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| self.catalog.url.starts_with(p))
        {
            return Err(invalid("catalog.url", "expected sqlite://PATH or postgres://..."));
        }
        if !self.store.url.is_empty()
            && !["file://", "s3://", "s3a://", "gs://", "az://", "azure://", "abfs://", "abfss://"]
                .iter()
                .any(|p| self.store.url.starts_with(p))
        {
            return Err(invalid("store.url", "expected file://, s3://, gs:// or az://"));
        }
        if !["text", "json"].contains(&self.log.format.as_str()) {
            return Err(invalid("log.format", "expected \"text\" or \"json\""));
        }
        if self.server.max_upload_bytes == 0 {
            return Err(invalid("server.max_upload_bytes", "must be positive"));
        }
        for (key, value) in [
            ("server.body_idle_timeout_secs", self.server.body_idle_timeout_secs),
            ("server.header_read_timeout_secs", self.server.header_read_timeout_secs),
            ("server.max_uploads_per_tenant", self.server.max_uploads_per_tenant as u64),
            ("server.max_connections", self.server.max_connections as u64),
            ("server.disk_check_secs", self.server.disk_check_secs),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be positive"));
            }
        }
        self.console.validate().map_err(|(key, message)| ConfigError::Invalid {
            key: format!("console.{key}"),
            message,
        })?;
        self.sip.validate().map_err(|(key, message)| ConfigError::Invalid {
            key: format!("sip.{key}"),
            message,
        })?;
        if self.catalog.max_connections == 0 {
            return Err(invalid("catalog.max_connections", "must be positive"));
        }
        self.capture.validate().map_err(|(key, message)| ConfigError::Invalid {
            key: format!("capture.{key}"),
            message,
        })?;
        self.delivery.validate().map_err(|(key, message)| ConfigError::Invalid { key, message })?;
        self.retention
            .validate()
            .map_err(|(key, message)| ConfigError::Invalid { key, message })?;
        self.storage.validate().map_err(|(key, message)| ConfigError::Invalid { key, message })?;
        self.capacity.validate().map_err(|(key, message)| ConfigError::Invalid {
            key: format!("capacity.{key}"),
            message,
        })?;
        self.scrub.validate().map_err(|(key, message)| ConfigError::Invalid {
            key: format!("scrub.{key}"),
            message,
        })?;
        self.encryption
            .validate()
            .map_err(|(key, message)| ConfigError::Invalid { key, message })?;
        self.assurance
            .validate()
            .map_err(|(key, message)| ConfigError::Invalid { key, message })?;
        let url = &self.server.public_url;
        if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
            return Err(invalid("server.public_url", "expected https://HOST[:PORT][/PATH]"));
        }
        Ok(())
    }

    /// The catalog URL, defaulting to SQLite in the data directory.
    pub fn catalog_url(&self) -> String {
        if self.catalog.url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("catalog.db").display())
        } else {
            self.catalog.url.clone()
        }
    }

    /// The primary store URL, defaulting to local disk in the data directory.
    /// Where signed links point.
    pub fn public_url(&self) -> String {
        if self.server.public_url.is_empty() {
            format!("http://{}", self.server.listen)
        } else {
            self.server.public_url.trim_end_matches('/').to_owned()
        }
    }

    pub fn store_url(&self) -> String {
        if self.store.url.is_empty() {
            format!("file://{}", self.data_dir.join("objects").display())
        } else {
            self.store.url.clone()
        }
    }

    /// What the vault needs to open.
    pub fn vault(&self) -> VaultConfig {
        VaultConfig {
            data_dir: self.data_dir.clone(),
            catalog_url: self.catalog_url(),
            catalog_max_connections: self.catalog.max_connections,
            store: self.primary_store(),
            stores: self.storage.named_stores(&self.data_dir),
            max_concurrent_commits: self.server.max_concurrent_commits,
            max_upload_bytes: self.server.max_upload_bytes,
            recovery_grace: Duration::from_secs(self.server.recovery_grace_secs),
            settle: callvault_vault::SettlePolicy {
                upload: Duration::from_secs(self.server.settle_upload_secs),
                live: Duration::from_secs(self.server.settle_live_secs),
                rejoin_window: Duration::from_secs(self.server.rejoin_window_secs),
            },
            disk: callvault_vault::disk::DiskWatermarks {
                // The low watermark is never under the critical one.
                low_bytes: self
                    .server
                    .disk_low_mib
                    .max(self.server.min_free_disk_mib)
                    .saturating_mul(1 << 20),
                critical_bytes: self.server.min_free_disk_mib.saturating_mul(1 << 20),
            },
            encryption: self.encryption.clone(),
        }
    }

    /// The primary store's configuration.
    pub fn primary_store(&self) -> callvault_store::StoreConfig {
        callvault_store::StoreConfig {
            name: "primary".into(),
            url: self.store_url(),
            options: self.store.options.clone(),
            staging_dir: self.data_dir.join("staging"),
        }
    }
}

fn parse_env_value(value: &str) -> toml::Value {
    // `key = <value>` parses numbers, booleans and arrays; anything else
    // (a URL, a path) is a string.
    match format!("v = {value}").parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(value.to_owned())),
        Err(_) => toml::Value::String(value.to_owned()),
    }
}

fn set_path(tree: &mut toml::Table, key: &[String], value: toml::Value) -> Result<(), String> {
    let (last, parents) = key.split_last().ok_or("empty key")?;
    let mut table = tree;
    for seg in parents {
        let entry =
            table.entry(seg.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = entry.as_table_mut().ok_or_else(|| format!("{seg} is not a section"))?;
    }
    // A string where the file has a number stays what the environment says;
    // the typed deserialisation reports a mismatch with the key's name.
    table.insert(last.clone(), value);
    Ok(())
}

/// The configuration as TOML (for `callvault config`).
pub fn to_toml(config: &Config) -> Result<String, toml::ser::Error> {
    toml::to_string(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_need_no_file() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.catalog_url(), "sqlite://./callvault-data/catalog.db");
        assert_eq!(c.store_url(), "file://./callvault-data/objects");
    }

    #[test]
    fn environment_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[server]\nlisten = \"127.0.0.1:9000\"\nkey_cache_secs = 5\n")
            .unwrap();
        let c = Config::load(
            Some(&path),
            env(&[
                ("CALLVAULT_SERVER__LISTEN", "0.0.0.0:7000"),
                ("CALLVAULT_DATABASE_URL", "postgres://u@h/db"),
                ("CALLVAULT_STORE_URL", "s3://bucket/prefix"),
                ("CALLVAULT_STORE__OPTIONS__AWS_ENDPOINT", "http://127.0.0.1:5000"),
                ("CALLVAULT_SERVER__MAX_UPLOAD_BYTES", "1000"),
                ("PATH", "/usr/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(c.server.listen.to_string(), "0.0.0.0:7000");
        assert_eq!(c.server.key_cache_secs, 5);
        assert_eq!(c.server.max_upload_bytes, 1000);
        assert_eq!(c.catalog_url(), "postgres://u@h/db");
        assert_eq!(c.store_url(), "s3://bucket/prefix");
        assert_eq!(c.store.options["aws_endpoint"], "http://127.0.0.1:5000");
    }

    #[test]
    fn store_options_take_booleans_and_numbers_as_text_from_file_and_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[store.options]\naws_allow_http = true\naws_region = 1\n").unwrap();
        let c = Config::load(Some(&path), env(&[])).unwrap();
        assert_eq!(c.store.options["aws_allow_http"], "true");
        assert_eq!(c.store.options["aws_region"], "1");
        let c = Config::load(
            None,
            env(&[
                ("CALLVAULT_STORE__OPTIONS__AWS_ALLOW_HTTP", "true"),
                ("CALLVAULT_STORE__OPTIONS__AWS_REGION", "1"),
                ("CALLVAULT_STORE__OPTIONS__AWS_ENDPOINT", "http://127.0.0.1:9000"),
            ]),
        )
        .unwrap();
        assert_eq!(c.store.options["aws_allow_http"], "true");
        assert_eq!(c.store.options["aws_region"], "1");
        assert_eq!(c.store.options["aws_endpoint"], "http://127.0.0.1:9000");
        std::fs::write(&path, "[store.options]\naws_region = [1, 2]\n").unwrap();
        let err = Config::load(Some(&path), env(&[])).unwrap_err().to_string();
        assert!(err.contains("aws_region"), "{err}");
        assert!(is_secret_option("aws_secret_access_key") && is_secret_option("AWS_SESSION_TOKEN"));
        assert!(is_secret_option("azure_storage_account_key"));
        assert!(!is_secret_option("aws_region") && !is_secret_option("aws_endpoint"));
        assert!(!is_secret_option("aws_allow_http"));
    }

    #[test]
    fn unknown_keys_are_refused_with_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[server]\nlisen = \"127.0.0.1:9000\"\n").unwrap();
        let err = Config::load(Some(&path), env(&[])).unwrap_err().to_string();
        assert!(err.contains("lisen"), "{err}");
        assert!(err.contains("c.toml"), "{err}");

        let err =
            Config::load(None, env(&[("CALLVAULT_SERVER__BOGUS", "1")])).unwrap_err().to_string();
        assert!(err.contains("CALLVAULT_SERVER__BOGUS") && err.contains("bogus"), "{err}");

        let err = Config::load(None, env(&[("CALLVAULT_SERVER__LISTEN", "nowhere")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("CALLVAULT_SERVER__LISTEN"), "{err}");

        let err = Config::load(None, env(&[("CALLVAULT_DATABASE_URL", "mysql://x")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("catalog.url"), "{err}");
    }

    #[test]
    fn named_stores_come_from_file_or_environment() {
        let c = Config::load(
            None,
            env(&[
                ("CALLVAULT_STORAGE__STORES__ARCHIVE__URL", "s3://cold/prefix"),
                ("CALLVAULT_STORAGE__STORES__ARCHIVE__ROLE", "archive"),
                ("CALLVAULT_STORAGE__STORES__ARCHIVE__OPTIONS__AWS_ALLOW_HTTP", "true"),
                ("CALLVAULT_STORAGE__POLICY__STORES", "[\"primary\"]"),
                (
                    "CALLVAULT_STORAGE__POLICY__TIER",
                    "{ after_days = 30, from = \"primary\", to = \"archive\" }",
                ),
            ]),
        )
        .unwrap();
        let stores = c.vault().stores;
        assert_eq!(stores.len(), 1);
        assert_eq!(stores[0].config.name, "archive");
        assert_eq!(stores[0].config.options["aws_allow_http"], "true");
        assert_eq!(c.storage.policy.tier.as_ref().unwrap().to, "archive");
        let err = Config::load(
            None,
            env(&[
                ("CALLVAULT_STORAGE__STORES__X__URL", "s3://b"),
                ("CALLVAULT_STORAGE__STORES__X__ROLE", "primary"),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("storage.stores.x.role"), "{err}");
        let err = Config::load(
            None,
            env(&[("CALLVAULT_STORAGE__POLICY__STORES", "[\"primary\", \"nowhere\"]")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("nowhere"), "{err}");
    }

    #[test]
    fn capture_section_is_off_by_default_and_checked_when_set() {
        let c = Config::load(None, env(&[])).unwrap();
        assert!(c.capture.interfaces.is_empty());
        let c = Config::load(
            None,
            env(&[
                ("CALLVAULT_CAPTURE__INTERFACES", "[\"eth0\", \"any\"]"),
                ("CALLVAULT_CAPTURE__TENANT", "acme"),
                ("CALLVAULT_CAPTURE__FILTER", "udp port 5060 or udp portrange 10000-20000"),
                ("CALLVAULT_CAPTURE__COMPANY_NETWORKS", "[\"10.0.0.0/8\"]"),
                ("CALLVAULT_CAPTURE__RTP_TIMEOUT_SECS", "60"),
                ("CALLVAULT_CAPTURE__B2BUA_WINDOW_SECS", "0"),
            ]),
        )
        .unwrap();
        assert_eq!(c.capture.interfaces, ["eth0", "any"]);
        assert_eq!(c.capture.rtp_timeout_secs, 60);
        assert_eq!(c.capture.b2bua_window_secs, 0);
        assert_eq!(CaptureSection::default().b2bua_window_secs, 10);
        for (var, value, key) in [
            ("CALLVAULT_CAPTURE__FILTER", "udp port x", "capture.filter"),
            (
                "CALLVAULT_CAPTURE__COMPANY_NETWORKS",
                "[\"10.0.0.0/33\"]",
                "capture.company_networks",
            ),
            ("CALLVAULT_CAPTURE__INTERFACES", "[\"lo\"]", "capture.tenant"),
        ] {
            let err = Config::load(None, env(&[(var, value)])).unwrap_err().to_string();
            assert!(err.contains(key), "{var}: {err}");
        }
    }
}

//! Every configured object store, by name and role, and the read path
//! that serves a recording from whichever verified copy is there.
//!
//! The store of `[store]` is always present as `primary`; further stores
//! (replicas, archives, fallbacks) come from the storage configuration.
//! A copy of a recording has the recording's `object_key` in every store,
//! so a store and a key find it anywhere.

use std::ops::Range;
use std::sync::Arc;

use callvault_model::Recording;
use callvault_store::blob::ObjectRead;
use callvault_store::{BlobError, BlobStore, Catalog, CatalogError, StoreConfig, StoredCopy};
use serde::{Deserialize, Serialize};

/// The name of the store of `[store]`.
pub const PRIMARY: &str = "primary";

/// What a store is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum StoreRole {
    /// Where ingest writes: exactly one.
    Primary,
    /// Holds further copies for safety (another site, another provider).
    Replica,
    /// Cheaper, slower storage that recordings move to after some days.
    Archive,
    /// Takes new recordings while the primary cannot; they return to the
    /// primary once it works again.
    Fallback,
}

impl StoreRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreRole::Primary => "primary",
            StoreRole::Replica => "replica",
            StoreRole::Archive => "archive",
            StoreRole::Fallback => "fallback",
        }
    }

    /// The order reads try copies in: the primary first, archives last.
    fn read_rank(self) -> u8 {
        match self {
            StoreRole::Primary => 0,
            StoreRole::Replica => 1,
            StoreRole::Fallback => 2,
            StoreRole::Archive => 3,
        }
    }
}

impl std::str::FromStr for StoreRole {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "primary" => Ok(StoreRole::Primary),
            "replica" => Ok(StoreRole::Replica),
            "archive" => Ok(StoreRole::Archive),
            "fallback" => Ok(StoreRole::Fallback),
            other => Err(format!(
                "unknown store role {other:?}; expected primary, replica, archive or fallback"
            )),
        }
    }
}

/// A store besides the primary, as the vault opens it.
#[derive(Debug, Clone)]
pub struct NamedStore {
    pub config: StoreConfig,
    pub role: StoreRole,
}

/// The stores could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoresError {
    #[error("store {name}: {source}")]
    Open { name: String, source: BlobError },
    #[error("store {name}: {message}")]
    Invalid { name: String, message: String },
}

/// A recording could not be read from any of its copies.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// No verified copy could be read; the last store error.
    #[error("no copy of the recording can be read: {0}")]
    Unavailable(String),
}

/// Every opened store, the primary first.
pub struct StoreSet {
    stores: Vec<(StoreRole, Arc<BlobStore>)>,
}

impl std::fmt::Debug for StoreSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.stores.iter().map(|(r, s)| (s.name(), r.as_str()))).finish()
    }
}

impl StoreSet {
    /// Open the primary and every other store. Names are unique, and only
    /// the primary has the primary role.
    pub fn open(primary: &StoreConfig, others: &[NamedStore]) -> Result<Self, StoresError> {
        let open = |config: &StoreConfig| {
            BlobStore::open(config)
                .map(Arc::new)
                .map_err(|source| StoresError::Open { name: config.name.clone(), source })
        };
        let mut set = Self { stores: vec![(StoreRole::Primary, open(primary)?)] };
        for other in others {
            let name = &other.config.name;
            let invalid = |message: &str| StoresError::Invalid {
                name: name.clone(),
                message: message.to_owned(),
            };
            if other.role == StoreRole::Primary {
                return Err(invalid("only [store] is the primary"));
            }
            if set.get(name).is_some() {
                return Err(invalid("the name is used twice"));
            }
            if !callvault_store::valid_store_name(name) {
                return Err(invalid("names are 1-64 characters of a-z, 0-9, '-', '_'"));
            }
            set.stores.push((other.role, open(&other.config)?));
        }
        Ok(set)
    }

    /// A set of already opened stores (tests, tools); the first is the
    /// primary.
    pub fn from_stores(primary: Arc<BlobStore>, others: Vec<(StoreRole, Arc<BlobStore>)>) -> Self {
        let mut stores = vec![(StoreRole::Primary, primary)];
        stores.extend(others);
        Self { stores }
    }

    pub fn primary(&self) -> &Arc<BlobStore> {
        &self.stores[0].1
    }

    pub fn get(&self, name: &str) -> Option<&Arc<BlobStore>> {
        self.stores.iter().find(|(_, s)| s.name() == name).map(|(_, s)| s)
    }

    pub fn role(&self, name: &str) -> Option<StoreRole> {
        self.stores.iter().find(|(_, s)| s.name() == name).map(|(r, _)| *r)
    }

    pub fn by_role(&self, role: StoreRole) -> impl Iterator<Item = &Arc<BlobStore>> {
        self.stores.iter().filter(move |(r, _)| *r == role).map(|(_, s)| s)
    }

    /// The store new recordings go to when the primary fails, if any.
    pub fn fallback(&self) -> Option<&Arc<BlobStore>> {
        self.by_role(StoreRole::Fallback).next()
    }

    /// Every store with its role, the primary first.
    pub fn iter(&self) -> impl Iterator<Item = (&Arc<BlobStore>, StoreRole)> {
        self.stores.iter().map(|(r, s)| (s, *r))
    }

    pub fn names(&self) -> Vec<String> {
        self.stores.iter().map(|(_, s)| s.name().to_owned()).collect()
    }

    /// The copies reads may use, best first: verified, not being deleted,
    /// in a configured store; the primary before replicas and fallbacks,
    /// archives last.
    pub fn readable<'a>(&self, copies: &'a [StoredCopy]) -> Vec<&'a StoredCopy> {
        let mut usable: Vec<(u8, usize, &StoredCopy)> = copies
            .iter()
            .filter(|c| c.counts())
            .filter_map(|c| {
                let (i, (role, _)) =
                    self.stores.iter().enumerate().find(|(_, (_, s))| s.name() == c.copy.store)?;
                Some((role.read_rank(), i, c))
            })
            .collect();
        usable.sort_by_key(|(rank, i, _)| (*rank, *i));
        usable.into_iter().map(|(_, _, c)| c).collect()
    }

    /// Read a recording (or a byte range of it) from the best verified copy
    /// that answers; a store that fails is passed over for the next copy.
    pub async fn read_recording(
        &self,
        catalog: &dyn Catalog,
        rec: &Recording,
        range: Option<Range<u64>>,
    ) -> Result<ObjectRead, ReadError> {
        let copies = catalog.recording_copies(rec.tenant_id, rec.id).await?;
        let mut last = String::from("the recording has no verified copy");
        for copy in self.readable(&copies) {
            let Some(store) = self.get(&copy.copy.store) else { continue };
            match store.get(&copy.copy.object_key, range.clone()).await {
                Ok(read) => return Ok(read),
                Err(e) => {
                    tracing::warn!(
                        recording = %rec.id, store = store.name(), error = %e,
                        "copy unreadable; trying the next"
                    );
                    last = e.to_string();
                }
            }
        }
        Err(ReadError::Unavailable(last))
    }
}

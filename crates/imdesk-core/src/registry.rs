//! [`StoreRegistry`]: the configured stores as the engine keeps them (display name and the
//! key the platform client signs with). Shared by the front door's methods and the tasks that
//! address stores (outbox, pollers, the push client's store filter); it owns its lock.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use meituan_api::StoreKey;

/// A configured store.
#[derive(Debug, Clone)]
pub(crate) struct StoreEntry {
    pub name: String,
    pub key: StoreKey,
}

/// The configured stores, by ePoiId. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct StoreRegistry(Arc<RwLock<BTreeMap<String, StoreEntry>>>);

impl StoreRegistry {
    pub(crate) fn new(entries: BTreeMap<String, StoreEntry>) -> Self {
        Self(Arc::new(RwLock::new(entries)))
    }

    pub(crate) fn entry(&self, epoi_id: &str) -> Option<StoreEntry> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(epoi_id)
            .cloned()
    }

    /// Whether `epoi_id` is configured (asked for every pushed frame).
    pub(crate) fn contains(&self, epoi_id: &str) -> bool {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(epoi_id)
    }

    /// The display name, or the id when the store is not configured.
    pub(crate) fn name(&self, epoi_id: &str) -> String {
        self.entry(epoi_id)
            .map_or_else(|| epoi_id.to_owned(), |e| e.name)
    }

    /// Every store, by ePoiId.
    pub(crate) fn entries(&self) -> Vec<(String, StoreEntry)> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(id, e)| (id.clone(), e.clone()))
            .collect()
    }

    pub(crate) fn keys(&self) -> Vec<StoreKey> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|e| e.key.clone())
            .collect()
    }
}

//! Shared helpers: temporary stores, batches and an in-memory model.

use std::collections::BTreeMap;
use std::path::Path;

use jmt::JellyfishMerkleTree;
use jmt::mock::MockTreeStore;
use molt_store::{AuxBatch, Store, StoreConfig, TreeHasher, WriteBatch};
use molt_types::Digest;
use tempfile::TempDir;

/// A store in its own temporary directory (removed on drop).
pub struct TempStore {
    pub store: Store,
    pub dir: TempDir,
}

impl TempStore {
    pub fn new(config: StoreConfig) -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let store = Store::open(&db_path(dir.path()), config).expect("open a fresh store");
        TempStore { store, dir }
    }

    pub fn archive() -> Self {
        Self::new(StoreConfig::archive())
    }

    /// Closes and reopens the store from disk.
    pub fn reopen(self, config: StoreConfig) -> Self {
        let TempStore { store, dir } = self;
        drop(store);
        let store = Store::open(&db_path(dir.path()), config).expect("reopen the store");
        TempStore { store, dir }
    }
}

pub fn db_path(dir: &Path) -> std::path::PathBuf {
    dir.join("state.redb")
}

/// A batch from `(key, Some(value) | None)` pairs.
pub fn batch<K: AsRef<[u8]>, V: AsRef<[u8]>>(writes: &[(K, Option<V>)]) -> WriteBatch {
    writes
        .iter()
        .map(|(k, v)| (k.as_ref().to_vec(), v.as_ref().map(|v| v.as_ref().to_vec())))
        .collect()
}

/// A batch of puts only.
pub fn puts(pairs: &[(&str, &str)]) -> WriteBatch {
    let mut batch = WriteBatch::new();
    for (k, v) in pairs {
        batch.put(k.as_bytes(), v.as_bytes());
    }
    batch
}

pub fn no_aux() -> AuxBatch {
    AuxBatch::new()
}

/// The state a sequence of batches produces.
pub type Model = BTreeMap<Vec<u8>, Vec<u8>>;

pub fn apply(model: &mut Model, batch: &WriteBatch) {
    for (key, value) in batch.iter() {
        match value {
            Some(v) => model.insert(key.to_vec(), v.to_vec()),
            None => model.remove(key),
        };
    }
}

/// The root of `model` computed by JMT's own in-memory store: a reference
/// that shares no code with molt-store's persistence.
pub fn reference_root(model: &Model) -> Digest {
    let mock = MockTreeStore::default();
    let tree = JellyfishMerkleTree::<_, TreeHasher>::new(&mock);
    let value_set = model
        .iter()
        .map(|(k, v)| (jmt::KeyHash::with::<TreeHasher>(k), Some(v.clone())));
    let (root, _) = tree
        .put_value_set(value_set, 0)
        .expect("reference tree update");
    Digest(root.0)
}

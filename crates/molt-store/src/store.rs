//! [`Store`]: opening, committing, reading, proving and pruning.

use std::fmt;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, RwLock};

use jmt::KeyHash;
use jmt::storage::TreeUpdateBatch;
use molt_types::Digest;
use redb::{
    Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    WriteTransaction,
};

use crate::batch::{AuxBatch, WriteBatch, validate_namespace};
use crate::config::StoreConfig;
use crate::error::{Result, StoreError};
use crate::proof::StateProof;
use crate::schema::{self, META, META_FIRST, META_FORMAT, META_LATEST, META_OLDEST};
use crate::tree::{StateTree, TreeHasher, TreeSnapshot};

/// Key-value pairs in ascending key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Record counts of a store, for metrics and for checking what pruning
/// removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Tree nodes of all readable versions.
    pub tree_nodes: u64,
    /// Versioned value records (values and deletions).
    pub value_records: u64,
    /// Nodes waiting to be pruned.
    pub stale_nodes: u64,
    /// Value records waiting to be pruned.
    pub stale_values: u64,
    /// Keys set at the latest version.
    pub live_keys: u64,
    /// Aux records across namespaces.
    pub aux_records: u64,
}

/// The committed version range, as stored under [`META`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Versions {
    first: Option<u64>,
    latest: Option<u64>,
    oldest: Option<u64>,
}

impl Versions {
    fn read(meta: &impl ReadableTable<&'static str, u64>) -> Result<Self> {
        let get = |name: &str| -> Result<Option<u64>> { Ok(meta.get(name)?.map(|g| g.value())) };
        Ok(Versions {
            first: get(META_FIRST)?,
            latest: get(META_LATEST)?,
            oldest: get(META_OLDEST)?,
        })
    }

    /// `Ok` if `version` is committed and not pruned.
    fn check_readable(&self, version: u64) -> Result<()> {
        let unknown = StoreError::UnknownVersion {
            version,
            latest: self.latest,
        };
        match (self.first, self.latest, self.oldest) {
            (Some(first), Some(latest), Some(oldest)) => {
                if version > latest || version < first {
                    Err(unknown)
                } else if version < oldest {
                    Err(StoreError::VersionPruned { version, oldest })
                } else {
                    Ok(())
                }
            }
            _ => Err(unknown),
        }
    }
}

/// The authenticated, versioned state of a Molt node in one redb file.
///
/// Reads take `&self` and see a consistent snapshot; they may run on any
/// thread while a commit is in progress. Commits and pruning are serialized
/// by an internal lock.
pub struct Store {
    db: Database,
    path: PathBuf,
    config: StoreConfig,
    writer: Mutex<()>,
    versions: RwLock<Versions>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("config", &self.config)
            .field(
                "versions",
                &*self.versions.read().unwrap_or_else(PoisonError::into_inner),
            )
            .finish()
    }
}

impl Store {
    /// Opens the store in the database file at `path`, creating it if it
    /// does not exist (its directory must exist). After a crash the store
    /// opens at the last version whose commit returned `Ok`.
    pub fn open(path: &Path, config: StoreConfig) -> Result<Store> {
        config.validate()?;
        let db = Database::builder()
            .set_cache_size(config.cache_bytes)
            .create(path)
            .map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                source: Box::new(e.into()),
            })?;

        let mut txn = db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        let versions = {
            let mut meta = txn.open_table(META)?;
            let format = meta.get(META_FORMAT)?.map(|g| g.value());
            match format {
                None => {
                    meta.insert(META_FORMAT, schema::FORMAT_VERSION)?;
                }
                Some(schema::FORMAT_VERSION) => {}
                Some(found) => {
                    return Err(StoreError::UnsupportedFormat {
                        path: path.to_path_buf(),
                        found,
                        supported: schema::FORMAT_VERSION,
                    });
                }
            }
            Versions::read(&meta)?
        };
        // Create every table up front so that readers never meet a missing one.
        txn.open_table(schema::ROOTS)?;
        txn.open_table(schema::NODES)?;
        txn.open_table(schema::STALE_NODES)?;
        txn.open_table(schema::VALUES)?;
        txn.open_table(schema::STALE_VALUES)?;
        txn.open_table(schema::LATEST)?;
        txn.open_table(schema::AUX)?;
        txn.commit()?;

        Ok(Store {
            db,
            path: path.to_path_buf(),
            config,
            writer: Mutex::new(()),
            versions: RwLock::new(versions),
        })
    }

    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// The latest committed version, `None` while the store is empty.
    pub fn latest_version(&self) -> Option<u64> {
        self.cached_versions().latest
    }

    /// The oldest version that can still be read and proven.
    pub fn oldest_version(&self) -> Option<u64> {
        self.cached_versions().oldest
    }

    /// Commits `writes` and `aux` as `version` and returns the new state root.
    ///
    /// `version` must be the latest version plus one; the first commit may
    /// use any version below `u64::MAX` (normally 0, genesis). Everything,
    /// including the pruning `keep_versions` asks for, is written in one
    /// redb transaction with immediate durability: when this returns `Ok`
    /// the version is on disk, and when it returns an error or the process
    /// dies before it returns, none of it is.
    pub fn commit(&self, version: u64, writes: &WriteBatch, aux: &AuxBatch) -> Result<Digest> {
        aux.validate()?;
        self.commit_with(version, writes, |_| aux.clone())
    }

    /// Like [`Store::commit`], but the aux data is built from the new state
    /// root, inside the same write transaction: a node stores the block
    /// header that carries the root atomically with the state it commits to.
    pub fn commit_with(
        &self,
        version: u64,
        writes: &WriteBatch,
        aux_for_root: impl FnOnce(Digest) -> AuxBatch,
    ) -> Result<Digest> {
        writes.validate()?;
        if version == u64::MAX {
            return Err(StoreError::VersionOverflow { version });
        }
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        let before = Versions::read(&txn.open_table(META)?)?;
        if let Some(latest) = before.latest {
            let expected = latest
                .checked_add(1)
                .ok_or(StoreError::VersionOverflow { version })?;
            if version != expected {
                return Err(StoreError::UnexpectedVersion {
                    expected,
                    got: version,
                });
            }
        }

        // No commit runs concurrently (the writer lock), so the latest
        // snapshot is exactly the state this transaction starts from. The
        // tree update reads only that snapshot, so it runs on a second thread
        // while this one writes the values.
        let empty_root_at = if before.latest.is_none() {
            version.checked_sub(1)
        } else {
            None
        };
        let (root, update) = std::thread::scope(|scope| {
            let tree = scope.spawn(|| self.update_tree(version, writes, empty_root_at));
            let written = write_values(&txn, version, writes);
            let updated = tree.join().unwrap_or_else(|_| {
                Err(StoreError::Tree {
                    version,
                    reason: "the tree update panicked".to_string(),
                })
            });
            written.and(updated)
        })?;

        write_nodes(&txn, version, &update)?;
        txn.open_table(schema::ROOTS)?.insert(version, root.0)?;
        let aux = aux_for_root(Digest(root.0));
        aux.validate()?;
        write_aux(&txn, &aux)?;

        let first = before.first.unwrap_or(version);
        let mut oldest = before.oldest.unwrap_or(version);
        if let Some(target) = self.config.oldest_to_keep(version)
            && target > oldest
        {
            prune_tables(&txn, oldest, target)?;
            oldest = target;
        }
        let after = Versions {
            first: Some(first),
            latest: Some(version),
            oldest: Some(oldest),
        };
        write_versions(&txn, &after)?;

        txn.commit().map_err(|e| StoreError::CommitFailed {
            version,
            source: Box::new(e),
        })?;
        *self
            .versions
            .write()
            .unwrap_or_else(PoisonError::into_inner) = after;
        Ok(Digest(root.0))
    }

    /// Computes the tree nodes and root of `version` from the latest snapshot.
    fn update_tree(
        &self,
        version: u64,
        writes: &WriteBatch,
        empty_root_at: Option<u64>,
    ) -> Result<(jmt::RootHash, TreeUpdateBatch)> {
        let snapshot_txn = self.db.begin_read()?;
        let snapshot = TreeSnapshot::new(&snapshot_txn, empty_root_at)?;
        let value_set = writes
            .iter()
            .map(|(key, value)| (KeyHash::with::<TreeHasher>(key), value.map(<[u8]>::to_vec)));
        StateTree::new(&snapshot)
            .put_value_set(value_set, version)
            .map_err(|e| StoreError::Tree {
                version,
                reason: format!("{e:#}"),
            })
    }

    /// Prunes per [`StoreConfig::keep_versions`] and returns the oldest
    /// readable version (unchanged when every version is kept).
    pub fn prune(&self) -> Result<Option<u64>> {
        let Some(latest) = self.latest_version() else {
            return Ok(None);
        };
        match self.config.oldest_to_keep(latest) {
            Some(target) => self.prune_before(target).map(Some),
            None => Ok(self.oldest_version()),
        }
    }

    /// Deletes everything only versions below `version` need, so that
    /// `version` becomes the oldest readable version, and returns it.
    /// Versions already pruned stay pruned.
    pub fn prune_before(&self, version: u64) -> Result<u64> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        let before = Versions::read(&txn.open_table(META)?)?;
        let (Some(latest), Some(oldest)) = (before.latest, before.oldest) else {
            return Err(StoreError::PruneBeyondLatest {
                requested: version,
                latest: None,
            });
        };
        if version > latest {
            return Err(StoreError::PruneBeyondLatest {
                requested: version,
                latest: Some(latest),
            });
        }
        if version <= oldest {
            return Ok(oldest);
        }
        prune_tables(&txn, oldest, version)?;
        let after = Versions {
            oldest: Some(version),
            ..before
        };
        write_versions(&txn, &after)?;
        txn.commit().map_err(|e| StoreError::PruneFailed {
            target: version,
            source: Box::new(e),
        })?;
        *self
            .versions
            .write()
            .unwrap_or_else(PoisonError::into_inner) = after;
        Ok(version)
    }

    /// The state root of `version`.
    pub fn root(&self, version: u64) -> Result<Digest> {
        let txn = self.db.begin_read()?;
        let versions = read_versions(&txn)?;
        versions.check_readable(version)?;
        root_in(&txn, version)
    }

    /// The state root of the latest version, `None` while the store is empty.
    pub fn latest_root(&self) -> Result<Option<Digest>> {
        let txn = self.db.begin_read()?;
        match read_versions(&txn)?.latest {
            Some(latest) => root_in(&txn, latest).map(Some),
            None => Ok(None),
        }
    }

    /// The value of `key` at the latest version.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let txn = self.db.begin_read()?;
        let latest = txn.open_table(schema::LATEST)?;
        Ok(latest.get(key)?.map(|v| v.value().to_vec()))
    }

    /// The value of `key` at `version`, which must be committed and not pruned.
    pub fn get_at(&self, key: &[u8], version: u64) -> Result<Option<Vec<u8>>> {
        let txn = self.db.begin_read()?;
        read_versions(&txn)?.check_readable(version)?;
        let snapshot = TreeSnapshot::new(&txn, None)?;
        snapshot
            .value_at(version, KeyHash::with::<TreeHasher>(key))
            .map_err(|e| StoreError::Corrupt {
                what: "value",
                detail: format!("{e:#}"),
            })
    }

    /// The value of `key` at `version` with a proof of it (inclusion) or of
    /// the key's absence (exclusion) against [`Store::root`] of `version`.
    pub fn get_with_proof(
        &self,
        key: &[u8],
        version: u64,
    ) -> Result<(Option<Vec<u8>>, StateProof)> {
        let txn = self.db.begin_read()?;
        read_versions(&txn)?.check_readable(version)?;
        let snapshot = TreeSnapshot::new(&txn, None)?;
        let (value, proof) = StateTree::new(&snapshot)
            .get_with_proof(KeyHash::with::<TreeHasher>(key), version)
            .map_err(|e| StoreError::Tree {
                version,
                reason: format!("{e:#}"),
            })?;
        Ok((value, StateProof::new(proof)))
    }

    /// Every key starting with `prefix` at the latest version, with its
    /// value, in ascending byte order of the raw key.
    pub fn iter_prefix(&self, prefix: &[u8]) -> Result<Entries> {
        self.iter_prefix_page(prefix, None, usize::MAX)
    }

    /// At most `limit` entries of [`Store::iter_prefix`], starting after
    /// the key `start_after` (exclusive) when given: pass the last key of a
    /// page to get the next page.
    pub fn iter_prefix_page(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(schema::LATEST)?;
        scan_prefix(&table, prefix, start_after, limit, 0)
    }

    /// The latest aux value of `key` in `namespace`.
    pub fn get_aux(&self, namespace: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        validate_namespace(namespace)?;
        let txn = self.db.begin_read()?;
        let table = txn.open_table(schema::AUX)?;
        Ok(table
            .get(&schema::aux_key(namespace, key)[..])?
            .map(|v| v.value().to_vec()))
    }

    /// At most `limit` aux entries of `namespace` in ascending key order,
    /// starting after `start_after` (exclusive) when given.
    pub fn aux_range(
        &self,
        namespace: &str,
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries> {
        validate_namespace(namespace)?;
        let txn = self.db.begin_read()?;
        let table = txn.open_table(schema::AUX)?;
        let prefix = schema::aux_prefix(namespace);
        let after = start_after.map(|k| schema::aux_key(namespace, k));
        scan_prefix(&table, &prefix, after.as_deref(), limit, prefix.len())
    }

    /// Counts the records in each table.
    pub fn stats(&self) -> Result<StoreStats> {
        let txn = self.db.begin_read()?;
        Ok(StoreStats {
            tree_nodes: txn.open_table(schema::NODES)?.len()?,
            value_records: txn.open_table(schema::VALUES)?.len()?,
            stale_nodes: txn.open_table(schema::STALE_NODES)?.len()?,
            stale_values: txn.open_table(schema::STALE_VALUES)?.len()?,
            live_keys: txn.open_table(schema::LATEST)?.len()?,
            aux_records: txn.open_table(schema::AUX)?.len()?,
        })
    }

    fn cached_versions(&self) -> Versions {
        *self.versions.read().unwrap_or_else(PoisonError::into_inner)
    }
}

fn read_versions(txn: &ReadTransaction) -> Result<Versions> {
    Versions::read(&txn.open_table(META)?)
}

fn write_versions(txn: &WriteTransaction, versions: &Versions) -> Result<()> {
    let mut meta = txn.open_table(META)?;
    for (name, value) in [
        (META_FIRST, versions.first),
        (META_LATEST, versions.latest),
        (META_OLDEST, versions.oldest),
    ] {
        if let Some(value) = value {
            meta.insert(name, value)?;
        }
    }
    Ok(())
}

fn root_in(txn: &ReadTransaction, version: u64) -> Result<Digest> {
    let roots = txn.open_table(schema::ROOTS)?;
    let root = roots
        .get(version)?
        .map(|g| g.value())
        .ok_or_else(|| StoreError::Corrupt {
            what: "root",
            detail: format!("the root of readable version {version} is missing"),
        })?;
    Ok(Digest(root))
}

/// Entries of `table` whose key starts with `prefix`, after `start_after`,
/// at most `limit`, with the first `strip` bytes of each key removed.
fn scan_prefix(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
    prefix: &[u8],
    start_after: Option<&[u8]>,
    limit: usize,
    strip: usize,
) -> Result<Entries> {
    let start = match start_after {
        Some(after) if after >= prefix => Bound::Excluded(after),
        _ => Bound::Included(prefix),
    };
    let mut out = Vec::new();
    for entry in table.range::<&[u8]>((start, Bound::Unbounded))? {
        if out.len() >= limit {
            break;
        }
        let (key, value) = entry?;
        let key = key.value();
        if !key.starts_with(prefix) {
            break;
        }
        out.push((
            key.get(strip..).unwrap_or_default().to_vec(),
            value.value().to_vec(),
        ));
    }
    Ok(out)
}

fn write_nodes(txn: &WriteTransaction, version: u64, update: &TreeUpdateBatch) -> Result<()> {
    let mut nodes = txn.open_table(schema::NODES)?;
    for (key, node) in update.node_batch.nodes() {
        let bytes = borsh::to_vec(node).map_err(|e| StoreError::Tree {
            version,
            reason: format!("encoding a node: {e}"),
        })?;
        nodes.insert(&schema::node_key(key)[..], &bytes[..])?;
    }
    let mut stale = txn.open_table(schema::STALE_NODES)?;
    for index in &update.stale_node_index_batch {
        let key = schema::stale_key(
            index.stale_since_version,
            &schema::node_key(&index.node_key),
        );
        stale.insert(&key[..], ())?;
    }
    Ok(())
}

/// Writes the versioned values, their staleness records and the raw-key
/// index of latest values.
fn write_values(txn: &WriteTransaction, version: u64, writes: &WriteBatch) -> Result<()> {
    let mut values = txn.open_table(schema::VALUES)?;
    let mut stale = txn.open_table(schema::STALE_VALUES)?;
    let mut latest = txn.open_table(schema::LATEST)?;
    for (key, value) in writes.iter() {
        let key_hash = KeyHash::with::<TreeHasher>(key);
        // The previous record of this key: (its version, whether it holds a value).
        let previous = {
            let low = schema::value_key(key_hash, 0);
            let high = schema::value_key(key_hash, u64::MAX);
            match values.range::<&[u8]>(&low[..]..=&high[..])?.next_back() {
                None => None,
                Some(entry) => {
                    let (k, v) = entry?;
                    let at = schema::value_key_version(k.value()).ok_or_else(|| {
                        StoreError::Corrupt {
                            what: "value key",
                            detail: "shorter than 40 bytes".into(),
                        }
                    })?;
                    Some((at, schema::value_is_present(v.value())))
                }
            }
        };
        let this_record = schema::value_key(key_hash, version);
        match value {
            Some(value) => {
                values.insert(&this_record[..], &schema::encode_value(Some(value))[..])?;
                latest.insert(key, value)?;
            }
            // Deleting an absent key changes nothing and leaves no record.
            None if !matches!(previous, Some((_, true))) => continue,
            None => {
                values.insert(&this_record[..], &schema::encode_value(None)[..])?;
                // Once every version before this one is pruned, the deletion
                // record itself shadows nothing.
                stale.insert(&schema::stale_key(version, &this_record)[..], ())?;
                latest.remove(key)?;
            }
        }
        if let Some((at, _)) = previous {
            let superseded = schema::value_key(key_hash, at);
            stale.insert(&schema::stale_key(version, &superseded)[..], ())?;
        }
    }
    Ok(())
}

fn write_aux(txn: &WriteTransaction, aux: &AuxBatch) -> Result<()> {
    let mut table = txn.open_table(schema::AUX)?;
    for (namespace, key, value) in aux.iter() {
        let key = schema::aux_key(namespace, key);
        match value {
            Some(value) => {
                table.insert(&key[..], value)?;
            }
            None => {
                table.remove(&key[..])?;
            }
        }
    }
    Ok(())
}

/// Deletes what only versions in `oldest..target` need: their roots and
/// root nodes, nodes stale since a version `<= target` and values
/// superseded at a version `<= target`. A node replaced at version `s` is
/// unreachable from every root at `s` or later, and `target` is the oldest
/// root kept.
fn prune_tables(txn: &WriteTransaction, oldest: u64, target: u64) -> Result<()> {
    let mut roots = txn.open_table(schema::ROOTS)?;
    let mut nodes = txn.open_table(schema::NODES)?;
    let pruned: Vec<u64> = roots
        .range(oldest..target)?
        .map(|entry| entry.map(|(k, _)| k.value()))
        .collect::<Result<_, _>>()?;
    for version in pruned {
        roots.remove(version)?;
        // A root whose version changed nothing is copied, not marked stale.
        nodes.remove(&schema::root_node_key(version)[..])?;
    }

    let bound = schema::stale_bound(target);
    let mut stale_nodes = txn.open_table(schema::STALE_NODES)?;
    for key in stale_keys(&stale_nodes, &bound)? {
        nodes.remove(key.get(8..).unwrap_or_default())?;
        stale_nodes.remove(&key[..])?;
    }

    let mut values = txn.open_table(schema::VALUES)?;
    let mut stale_values = txn.open_table(schema::STALE_VALUES)?;
    for key in stale_keys(&stale_values, &bound)? {
        values.remove(key.get(8..).unwrap_or_default())?;
        stale_values.remove(&key[..])?;
    }
    Ok(())
}

fn stale_keys(
    table: &impl ReadableTable<&'static [u8], ()>,
    bound: &[u8; 8],
) -> Result<Vec<Vec<u8>>> {
    let keys = table
        .range::<&[u8]>(..&bound[..])?
        .map(|entry| entry.map(|(k, _)| k.value().to_vec()))
        .collect::<Result<_, _>>()?;
    Ok(keys)
}

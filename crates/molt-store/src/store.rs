//! [`Store`]: opening, committing, preparing and applying blocks, reading,
//! proving and pruning.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use jmt::storage::TreeUpdateBatch;
use molt_types::Digest;
use redb::{
    Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata, WriteTransaction,
};

use crate::batch::{AuxBatch, WriteBatch};
use crate::config::StoreConfig;
use crate::error::{Result, StoreError};
use crate::pending::{Layer, LayeredTree, Parent, PendingView, PreparedBlock, pending_above};
use crate::proof::StateProof;
use crate::schema::{self, META, META_FIRST, META_FORMAT, META_LATEST, META_OLDEST};
use crate::snapshot::{self as read, Snapshot};
use crate::tree::{self, TreeSnapshot};
use crate::write::{prune_tables, write_aux, write_nodes, write_values, write_versions};

/// Gives each open [`Store`] its own id, so that a [`PreparedBlock`] is
/// only ever applied to the store instance that computed it.
static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

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
pub(crate) struct Versions {
    pub(crate) first: Option<u64>,
    pub(crate) latest: Option<u64>,
    pub(crate) oldest: Option<u64>,
}

impl Versions {
    pub(crate) fn read(meta: &impl ReadableTable<&'static str, u64>) -> Result<Self> {
        let get = |name: &str| -> Result<Option<u64>> { Ok(meta.get(name)?.map(|g| g.value())) };
        Ok(Versions {
            first: get(META_FIRST)?,
            latest: get(META_LATEST)?,
            oldest: get(META_OLDEST)?,
        })
    }

    /// `Ok` if `version` is committed and not pruned.
    pub(crate) fn check_readable(&self, version: u64) -> Result<()> {
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
/// Reads take `&self`; they may run on any thread while a commit is in
/// progress. Each read method sees one committed version, whole; for
/// several reads of one version take a [`Snapshot`] or a [`PendingView`].
/// Commits, applies and pruning are serialized by an internal lock.
pub struct Store {
    db: Database,
    pub(crate) path: PathBuf,
    config: StoreConfig,
    id: u64,
    pub(crate) writer: Mutex<()>,
    versions: RwLock<Versions>,
    /// Faults armed on keys (feature `test-utils`, [`Store::open_with_faults`]).
    #[cfg(feature = "test-utils")]
    key_faults: Option<std::sync::Arc<crate::Faults>>,
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
        Self::init(db, path, config)
    }

    /// Opens the store in `backend` instead of a file of its own, as
    /// [`Store::open`] does: for tests that inject storage faults
    /// ([`FaultyBackend`](crate::FaultyBackend)). `path` names the store in
    /// errors and debug output.
    #[cfg(feature = "test-utils")]
    pub fn open_with_backend(
        path: &Path,
        backend: impl redb::StorageBackend,
        config: StoreConfig,
    ) -> Result<Store> {
        config.validate()?;
        let db = Database::builder()
            .set_cache_size(config.cache_bytes)
            .create_with_backend(backend)
            .map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                source: Box::new(e.into()),
            })?;
        Self::init(db, path, config)
    }

    /// [`Store::open_with_backend`] on a [`FaultyBackend`](crate::FaultyBackend),
    /// whose [`Faults`](crate::Faults) then also fail reads of the keys armed
    /// with [`Faults::fail_reads_of_key`](crate::Faults::fail_reads_of_key).
    #[cfg(feature = "test-utils")]
    pub fn open_with_faults(
        path: &Path,
        backend: crate::FaultyBackend,
        config: StoreConfig,
    ) -> Result<Store> {
        let faults = backend.faults();
        let mut store = Self::open_with_backend(path, backend, config)?;
        store.key_faults = Some(faults);
        Ok(store)
    }

    /// Fails if a fault is armed on `key` (or, `prefix`, on a key under it).
    #[cfg(feature = "test-utils")]
    fn check_key(&self, key: &[u8], prefix: bool) -> Result<()> {
        match &self.key_faults {
            Some(f) => f.check_key(key, prefix),
            None => Ok(()),
        }
    }

    #[cfg(not(feature = "test-utils"))]
    fn check_key(&self, _: &[u8], _: bool) -> Result<()> {
        Ok(())
    }

    /// Checks the format and creates the tables of a freshly opened database.
    fn init(db: Database, path: &Path, config: StoreConfig) -> Result<Store> {
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
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            writer: Mutex::new(()),
            versions: RwLock::new(versions),
            #[cfg(feature = "test-utils")]
            key_faults: None,
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
    ///
    /// Committing a version this way discards every [`PreparedBlock`] of that
    /// version, even one with the same writes: applying it, or a child of
    /// it, fails with [`StoreError::BranchDiscarded`].
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
        let (txn, before) = self.begin_commit()?;
        check_next_version(before.latest, version)?;

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
        self.finish_commit(
            txn,
            before,
            version,
            &update,
            Digest(root.0),
            aux_for_root,
            None,
        )
    }

    /// Starts the write transaction of a commit; the caller holds the
    /// writer lock.
    fn begin_commit(&self) -> Result<(WriteTransaction, Versions)> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        let before = Versions::read(&txn.open_table(META)?)?;
        Ok((txn, before))
    }

    /// Writes the tree nodes, root, aux data, pruning and version range of
    /// `version` (its values are written) and commits durably. `layer` is
    /// the prepared block being applied, marked for concurrent readers
    /// around the commit.
    #[allow(clippy::too_many_arguments)]
    fn finish_commit(
        &self,
        txn: WriteTransaction,
        before: Versions,
        version: u64,
        update: &TreeUpdateBatch,
        root: Digest,
        aux_for_root: impl FnOnce(Digest) -> AuxBatch,
        layer: Option<&Layer>,
    ) -> Result<Digest> {
        write_nodes(&txn, version, update)?;
        txn.open_table(schema::ROOTS)?.insert(version, root.0)?;
        let aux = aux_for_root(root);
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

        if let Some(layer) = layer {
            layer.mark_committing();
        }
        let committed = txn.commit();
        if let Some(layer) = layer {
            layer.mark_committed(committed.is_ok());
        }
        committed.map_err(|e| StoreError::CommitFailed {
            version,
            source: Box::new(e),
        })?;
        *self
            .versions
            .write()
            .unwrap_or_else(PoisonError::into_inner) = after;
        Ok(root)
    }

    /// Computes the root of `writes` as `version` on the latest committed
    /// version, without writing anything.
    ///
    /// `version` must be the latest committed version plus one (any version
    /// below `u64::MAX` on an empty store), as for [`Store::commit_with`].
    /// The root equals the root that [`Store::commit_with`] of the same
    /// writes would return.
    pub fn prepare(&self, version: u64, writes: WriteBatch) -> Result<PreparedBlock> {
        writes.validate()?;
        if version == u64::MAX {
            return Err(StoreError::VersionOverflow { version });
        }
        let snapshot = self.snapshot()?;
        let latest = snapshot.latest_version();
        check_next_version(latest, version)?;
        let empty_root_at = if latest.is_none() {
            version.checked_sub(1)
        } else {
            None
        };
        let committed = TreeSnapshot::new(snapshot.txn(), empty_root_at)?;
        let tree = LayeredTree {
            committed: &committed,
            committed_version: latest,
            layers: &[],
        };
        let (root, update) = tree.update(version, &writes)?;
        Ok(PreparedBlock::new(
            self.id,
            version,
            Parent::Committed(latest),
            latest,
            writes,
            root,
            update,
        ))
    }

    /// Computes the root of `writes` as the version after `parent`, a
    /// prepared block that may still be pending, without writing anything.
    ///
    /// The child sees `parent`'s state: the writes of `parent`'s pending
    /// chain over the committed state. Its root equals the root that
    /// committing the chain's write sets and then `writes` one by one
    /// would give. Fails with [`StoreError::BranchDiscarded`] if `parent`'s
    /// branch lost, [`StoreError::Superseded`] if `parent` is applied and
    /// later versions are committed, [`StoreError::ForeignBlock`] if
    /// `parent` comes from another store.
    pub fn prepare_child(
        &self,
        parent: &PreparedBlock,
        writes: WriteBatch,
    ) -> Result<PreparedBlock> {
        writes.validate()?;
        let version = parent.version().saturating_add(1);
        if version == u64::MAX {
            return Err(StoreError::VersionOverflow { version });
        }
        let view = self.view(parent)?;
        let committed_version = view.committed_version();
        let committed = TreeSnapshot::new(view.snapshot().txn(), None)?;
        let tree = LayeredTree {
            committed: &committed,
            committed_version,
            layers: view.layers(),
        };
        let (root, update) = tree.update(version, &writes)?;
        // A parent that is already committed is linked as a version, not a
        // layer, so the child does not keep it in memory.
        let link = if view.pending_depth() == 0 {
            Parent::Committed(Some(parent.version()))
        } else {
            Parent::Pending(parent.layer.clone())
        };
        Ok(PreparedBlock::new(
            self.id,
            version,
            link,
            Some(parent.version()),
            writes,
            root,
            update,
        ))
    }

    /// Persists a prepared block as its version, atomically with the aux
    /// data built from its root, exactly as [`Store::commit_with`] of its
    /// writes would, and returns the root.
    ///
    /// Its parent must be the latest committed version: the version it was
    /// prepared on, or its parent block, applied. Otherwise nothing is
    /// written and the error says why: [`StoreError::AlreadyApplied`] (this
    /// block, or a clone of it, is committed), [`StoreError::ParentNotApplied`]
    /// (apply the chain in order), [`StoreError::BranchDiscarded`] (a
    /// sibling of it or of an ancestor was applied, or another version was
    /// committed on its parent), [`StoreError::ForeignBlock`].
    ///
    /// Durability and failures are those of [`Store::commit_with`]: on
    /// [`StoreError::CommitFailed`] or [`StoreError::Database`] the block is
    /// not applied, and the node must stop.
    pub fn apply(
        &self,
        block: &PreparedBlock,
        aux_for_root: impl FnOnce(Digest) -> AuxBatch,
    ) -> Result<Digest> {
        let layer = &block.layer;
        let version = layer.version;
        if layer.store_id != self.id {
            return Err(StoreError::ForeignBlock { version });
        }
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if layer.is_applied() {
            return Err(StoreError::AlreadyApplied { version });
        }
        let (txn, before) = self.begin_commit()?;
        match pending_above(layer, before.latest)?.as_slice() {
            [only] if Arc::ptr_eq(only, layer) => {}
            [] => return Err(StoreError::AlreadyApplied { version }),
            [.., oldest] => {
                return Err(StoreError::ParentNotApplied {
                    version,
                    pending: oldest.version,
                });
            }
        }
        write_values(&txn, version, &layer.writes)?;
        let root = self.finish_commit(
            txn,
            before,
            version,
            &layer.update,
            layer.root,
            aux_for_root,
            Some(layer),
        )?;
        // Its ancestors are committed: the block no longer needs them.
        layer.set_parent(Parent::Committed(before.latest));
        Ok(root)
    }

    /// A pinned read-only view of the state committed now
    /// (see [`Snapshot`]).
    pub fn snapshot(&self) -> Result<Snapshot> {
        #[allow(unused_mut)]
        let mut snapshot = Snapshot::new(self.db.begin_read()?)?;
        #[cfg(feature = "test-utils")]
        {
            snapshot.key_faults = self.key_faults.clone();
        }
        Ok(snapshot)
    }

    /// A pinned read-only view of the state `block` produces: the writes of
    /// its pending chain over the committed state (see [`PendingView`]).
    /// Once `block` is applied and still the latest version, the view reads
    /// the committed state.
    ///
    /// Fails with [`StoreError::BranchDiscarded`] if the block's branch
    /// lost, [`StoreError::Superseded`] if the block is applied and later
    /// versions are committed (read it with [`Snapshot::get_at`]), and
    /// [`StoreError::ForeignBlock`] if it comes from another store.
    pub fn view(&self, block: &PreparedBlock) -> Result<PendingView> {
        if block.layer.store_id != self.id {
            return Err(StoreError::ForeignBlock {
                version: block.version(),
            });
        }
        PendingView::new(self.snapshot()?, block)
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
        tree::update(&snapshot, version, writes).map_err(|e| snapshot.error(version, e))
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
        self.snapshot()?.root(version)
    }

    /// The state root of the latest version, `None` while the store is empty.
    pub fn latest_root(&self) -> Result<Option<Digest>> {
        self.snapshot()?.latest_root()
    }

    /// The value of `key` at the latest version.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check_key(key, false)?;
        read::latest_get(&self.db.begin_read()?, key)
    }

    /// The value of `key` at `version`, which must be committed and not pruned.
    pub fn get_at(&self, key: &[u8], version: u64) -> Result<Option<Vec<u8>>> {
        self.snapshot()?.get_at(key, version)
    }

    /// The value of `key` at `version` with a proof of it (inclusion) or of
    /// the key's absence (exclusion) against [`Store::root`] of `version`.
    pub fn get_with_proof(
        &self,
        key: &[u8],
        version: u64,
    ) -> Result<(Option<Vec<u8>>, StateProof)> {
        self.snapshot()?.get_with_proof(key, version)
    }

    /// Every key starting with `prefix` at the latest version, with its
    /// value, in ascending byte order of the raw key.
    pub fn iter_prefix(&self, prefix: &[u8]) -> Result<Entries> {
        self.iter_prefix_page(prefix, None, usize::MAX)
    }

    /// At most `limit` entries of [`Store::iter_prefix`], starting after
    /// the key `start_after` (exclusive) when given: pass the last key of
    /// a page to get the next page. Each page is read from one version;
    /// pages of one [`Snapshot`] are read from the same one.
    pub fn iter_prefix_page(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries> {
        self.check_key(prefix, true)?;
        read::latest_page(&self.db.begin_read()?, prefix, start_after, limit)
    }

    /// The latest aux value of `key` in `namespace`.
    pub fn get_aux(&self, namespace: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        read::aux_get(&self.db.begin_read()?, namespace, key)
    }

    /// At most `limit` aux entries of `namespace` in ascending key order,
    /// starting after `start_after` (exclusive) when given.
    pub fn aux_range(
        &self,
        namespace: &str,
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries> {
        read::aux_page(&self.db.begin_read()?, namespace, start_after, limit)
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

/// `Ok` if `version` may follow `latest`: the next version, or any version
/// on an empty store.
fn check_next_version(latest: Option<u64>, version: u64) -> Result<()> {
    if let Some(latest) = latest {
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
    Ok(())
}

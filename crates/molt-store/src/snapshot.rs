//! [`Snapshot`]: reads pinned to one committed state, and the read paths
//! that [`Store`](crate::Store)'s one-call reads share with it.
//!
//! Every read runs inside a redb read transaction, which sees the database
//! exactly as the last commit before it began left it (MVCC): commits that
//! finish later are invisible to it, and nothing it can see is overwritten
//! or freed while it lives. A [`Snapshot`] keeps one such transaction for
//! all its reads; the one-call reads of [`Store`](crate::Store) open one
//! per call.

use std::fmt;
use std::ops::Bound;

use jmt::KeyHash;
use molt_types::Digest;
use redb::{ReadTransaction, ReadableTable};

use crate::batch::validate_namespace;
use crate::error::{Result, StoreError};
use crate::proof::StateProof;
use crate::schema::{self, META};
use crate::store::{Entries, Versions};
use crate::tree::{StateTree, TreeHasher, TreeSnapshot};

/// A read-only view of the store pinned to the state committed when it was
/// taken ([`Store::snapshot`](crate::Store::snapshot)).
///
/// Every read of one snapshot sees the same committed versions, whatever
/// commits, applies or prunes run meanwhile: an RPC handler or a block
/// executor that asks several questions gets answers about one state.
/// Aux data is the aux data committed with the snapshot's latest version.
///
/// A snapshot holds a redb read transaction: pages that later commits free
/// are reused only after it is dropped, so a long-lived snapshot makes the
/// file grow. Take one per request or per block, not per process.
pub struct Snapshot {
    /// Boxed: a snapshot is moved around by value (a block's parent state)
    /// and the transaction is most of its size.
    txn: Box<ReadTransaction>,
    versions: Versions,
    /// Faults armed on keys (feature `test-utils`).
    #[cfg(feature = "test-utils")]
    pub(crate) key_faults: Option<std::sync::Arc<crate::Faults>>,
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("versions", &self.versions)
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    pub(crate) fn new(txn: ReadTransaction) -> Result<Snapshot> {
        let versions = read_versions(&txn)?;
        Ok(Snapshot {
            txn: Box::new(txn),
            versions,
            #[cfg(feature = "test-utils")]
            key_faults: None,
        })
    }

    pub(crate) fn txn(&self) -> &ReadTransaction {
        &self.txn
    }

    /// The latest version committed when the snapshot was taken, `None` if
    /// the store was empty.
    pub fn latest_version(&self) -> Option<u64> {
        self.versions.latest
    }

    /// The oldest version this snapshot can read and prove.
    pub fn oldest_version(&self) -> Option<u64> {
        self.versions.oldest
    }

    /// The state root of [`Snapshot::latest_version`], `None` if the store
    /// was empty.
    pub fn latest_root(&self) -> Result<Option<Digest>> {
        match self.versions.latest {
            Some(latest) => root_in(&self.txn, latest).map(Some),
            None => Ok(None),
        }
    }

    /// The state root of `version`, which must be committed and not pruned
    /// in this snapshot.
    pub fn root(&self, version: u64) -> Result<Digest> {
        self.versions.check_readable(version)?;
        root_in(&self.txn, version)
    }

    /// The value of `key` at [`Snapshot::latest_version`].
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check_key(key, false)?;
        latest_get(&self.txn, key)
    }

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

    /// The value of `key` at `version`, which must be committed and not
    /// pruned in this snapshot.
    pub fn get_at(&self, key: &[u8], version: u64) -> Result<Option<Vec<u8>>> {
        self.versions.check_readable(version)?;
        value_at(&self.txn, key, version)
    }

    /// The value of `key` at `version` with a proof against
    /// [`Snapshot::root`] of `version`.
    pub fn get_with_proof(
        &self,
        key: &[u8],
        version: u64,
    ) -> Result<(Option<Vec<u8>>, StateProof)> {
        self.versions.check_readable(version)?;
        proof_at(&self.txn, key, version)
    }

    /// Every key starting with `prefix` at [`Snapshot::latest_version`], in
    /// ascending byte order of the raw key.
    pub fn iter_prefix(&self, prefix: &[u8]) -> Result<Entries> {
        self.iter_prefix_page(prefix, None, usize::MAX)
    }

    /// At most `limit` entries of [`Snapshot::iter_prefix`] after
    /// `start_after` (exclusive), as
    /// [`Store::iter_prefix_page`](crate::Store::iter_prefix_page).
    pub fn iter_prefix_page(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries> {
        self.check_key(prefix, true)?;
        latest_page(&self.txn, prefix, start_after, limit)
    }

    /// The aux value of `key` in `namespace`, as committed with
    /// [`Snapshot::latest_version`].
    pub fn get_aux(&self, namespace: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        aux_get(&self.txn, namespace, key)
    }

    /// At most `limit` aux entries of `namespace` after `start_after`, as
    /// [`Store::aux_range`](crate::Store::aux_range).
    pub fn aux_range(
        &self,
        namespace: &str,
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries> {
        aux_page(&self.txn, namespace, start_after, limit)
    }
}

pub(crate) fn read_versions(txn: &ReadTransaction) -> Result<Versions> {
    Versions::read(&txn.open_table(META)?)
}

pub(crate) fn root_in(txn: &ReadTransaction, version: u64) -> Result<Digest> {
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

pub(crate) fn latest_get(txn: &ReadTransaction, key: &[u8]) -> Result<Option<Vec<u8>>> {
    let latest = txn.open_table(schema::LATEST)?;
    Ok(latest.get(key)?.map(|v| v.value().to_vec()))
}

pub(crate) fn latest_page(
    txn: &ReadTransaction,
    prefix: &[u8],
    start_after: Option<&[u8]>,
    limit: usize,
) -> Result<Entries> {
    let table = txn.open_table(schema::LATEST)?;
    scan_prefix(&table, prefix, start_after, limit, 0)
}

/// The value of `key` at `version`; the caller checked that `version` is
/// readable.
pub(crate) fn value_at(txn: &ReadTransaction, key: &[u8], version: u64) -> Result<Option<Vec<u8>>> {
    let snapshot = TreeSnapshot::new(txn, None)?;
    snapshot
        .value_at(version, KeyHash::with::<TreeHasher>(key))
        .map_err(|e| match snapshot.error(version, e) {
            StoreError::Tree { reason, .. } => StoreError::Corrupt {
                what: "value",
                detail: reason,
            },
            other => other,
        })
}

/// The value of `key` at `version` and its proof; the caller checked that
/// `version` is readable.
pub(crate) fn proof_at(
    txn: &ReadTransaction,
    key: &[u8],
    version: u64,
) -> Result<(Option<Vec<u8>>, StateProof)> {
    let snapshot = TreeSnapshot::new(txn, None)?;
    let (value, proof) = StateTree::new(&snapshot)
        .get_with_proof(KeyHash::with::<TreeHasher>(key), version)
        .map_err(|e| snapshot.error(version, e))?;
    Ok((value, StateProof::new(proof)))
}

pub(crate) fn aux_get(
    txn: &ReadTransaction,
    namespace: &str,
    key: &[u8],
) -> Result<Option<Vec<u8>>> {
    validate_namespace(namespace)?;
    let table = txn.open_table(schema::AUX)?;
    Ok(table
        .get(&schema::aux_key(namespace, key)[..])?
        .map(|v| v.value().to_vec()))
}

pub(crate) fn aux_page(
    txn: &ReadTransaction,
    namespace: &str,
    start_after: Option<&[u8]>,
    limit: usize,
) -> Result<Entries> {
    validate_namespace(namespace)?;
    let table = txn.open_table(schema::AUX)?;
    let prefix = schema::aux_prefix(namespace);
    let after = start_after.map(|k| schema::aux_key(namespace, k));
    scan_prefix(&table, &prefix, after.as_deref(), limit, prefix.len())
}

/// Where a prefix scan starts: after `start_after` when it lies at or past
/// the prefix, else at the prefix itself (every key with the prefix is then
/// after `start_after` anyway).
pub(crate) fn scan_start<'a>(prefix: &'a [u8], start_after: Option<&'a [u8]>) -> Bound<&'a [u8]> {
    match start_after {
        Some(after) if after >= prefix => Bound::Excluded(after),
        _ => Bound::Included(prefix),
    }
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
    let start = scan_start(prefix, start_after);
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

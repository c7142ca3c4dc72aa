//! The Jellyfish Merkle Tree read from a redb snapshot, and the one way a
//! version's tree update is computed ([`update`]).
//!
//! # Computing an update
//!
//! `jmt` offers two ways to apply a write set as a new version:
//!
//! - `put_value_set` inserts the writes one key at a time. Each insertion
//!   rebuilds the path from the root to its leaf and hashes every internal
//!   node on it again (up to 15 SHA3-256 compressions per 16-way node), so a
//!   block of `n` writes over a tree of depth `d` costs about `15 * d * n`
//!   hashes; it handles deletions.
//! - `batch_put_value_sets` splits the sorted write set by nibble and
//!   descends once, so every new node is built and hashed once; it cannot
//!   delete.
//!
//! Both give the same tree: a JMT's shape, and so its root and its new nodes,
//! depend only on the key set, and both mark the same replaced nodes stale
//! (`tests::batch_and_sequential_updates_write_the_same_records`). [`update`]
//! takes the batch path for a non-empty write set without deletions and the
//! sequential one otherwise. The choice depends only on the write set, so it
//! is the same on every node, and neither changes what is stored.

use std::sync::{Mutex, PoisonError};

use anyhow::{anyhow, bail};
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{JellyfishMerkleTree, KeyHash, OwnedValue, RootHash, Version};
use redb::{ReadOnlyTable, ReadTransaction, StorageError};

use crate::batch::WriteBatch;
use crate::error::{Result, StoreError, tree_error};
use crate::schema;

/// The tree's hash function: SHA3-256, the hash of the rest of Molt.
pub type TreeHasher = sha3::Sha3_256;

/// The state tree over a snapshot.
pub type StateTree<'a> = JellyfishMerkleTree<'a, TreeSnapshot, TreeHasher>;

/// The root and the new records (nodes, stale-node index, values) of
/// `writes` applied as `version` to the tree `reader` holds at
/// `version - 1`. See the module docs for the two paths it chooses between.
pub(crate) fn update<R: TreeReader>(
    reader: &R,
    version: Version,
    writes: &WriteBatch,
) -> anyhow::Result<(RootHash, TreeUpdateBatch)> {
    let tree = JellyfishMerkleTree::<R, TreeHasher>::new(reader);
    let sets: Option<Vec<(KeyHash, OwnedValue)>> = writes
        .iter()
        .map(|(key, value)| Some((KeyHash::with::<TreeHasher>(key), value?.to_vec())))
        .collect();
    match sets {
        Some(sets) if !sets.is_empty() => {
            let (roots, batch) = tree.batch_put_value_sets(vec![sets], None, version)?;
            let root = roots
                .first()
                .copied()
                .ok_or_else(|| anyhow!("the batch update returned no root"))?;
            Ok((root, batch))
        }
        _ => {
            let value_set = writes
                .iter()
                .map(|(key, value)| (KeyHash::with::<TreeHasher>(key), value.map(<[u8]>::to_vec)));
            tree.put_value_set(value_set, version)
        }
    }
}

/// A consistent, read-only view of the tree's nodes and values.
#[derive(Debug)]
pub struct TreeSnapshot {
    nodes: ReadOnlyTable<&'static [u8], &'static [u8]>,
    values: ReadOnlyTable<&'static [u8], &'static [u8]>,
    /// A store whose first version `f` is above 0 has no tree at `f - 1`,
    /// where JMT looks for the parent root; this answers that lookup with
    /// the empty tree.
    empty_root_at: Option<Version>,
    /// The first database error of a read. JMT replaces some reader errors
    /// with its own (a failed read of a root becomes "missing root"), so
    /// the original is kept here, for [`TreeSnapshot::error`].
    failure: Mutex<Option<StorageError>>,
}

impl TreeSnapshot {
    pub fn new(txn: &ReadTransaction, empty_root_at: Option<Version>) -> Result<Self> {
        Ok(TreeSnapshot {
            nodes: txn.open_table(schema::NODES)?,
            values: txn.open_table(schema::VALUES)?,
            empty_root_at,
            failure: Mutex::new(None),
        })
    }

    /// Keeps the first database error and hands the tree code a copy of
    /// its message.
    fn storage<T>(&self, result: Result<T, StorageError>) -> anyhow::Result<T> {
        result.map_err(|e| {
            let message = anyhow!("database read: {e}");
            self.failure
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert(e);
            message
        })
    }

    /// The store error for a failure of the tree code at `version`: the
    /// database error behind it if a read failed, else a tree error.
    pub fn error(&self, version: Version, error: anyhow::Error) -> StoreError {
        let failure = self
            .failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match failure {
            Some(storage) => StoreError::Database(Box::new(storage.into())),
            None => tree_error(version, error),
        }
    }

    /// The value of `key_hash` at `version`, if it is set at that version.
    pub fn value_at(&self, version: Version, key_hash: KeyHash) -> anyhow::Result<Option<Vec<u8>>> {
        let low = schema::value_key(key_hash, 0);
        let high = schema::value_key(key_hash, version);
        let mut range = self.storage(self.values.range::<&[u8]>(&low[..]..=&high[..]))?;
        match range.next_back() {
            None => Ok(None),
            Some(entry) => {
                let (_, value) = self.storage(entry)?;
                schema::decode_value(value.value()).map_err(|e| anyhow!("stored value: {e}"))
            }
        }
    }
}

impl TreeReader for TreeSnapshot {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = schema::node_key(node_key);
        match self.storage(self.nodes.get(&key[..]))? {
            Some(bytes) => {
                let node = borsh::from_slice::<Node>(bytes.value())
                    .map_err(|e| anyhow!("stored tree node {node_key:?}: {e}"))?;
                Ok(Some(node))
            }
            None if self.empty_root_at == Some(node_key.version())
                && node_key.nibble_path().is_empty() =>
            {
                Ok(Some(Node::Null))
            }
            None => Ok(None),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        self.value_at(max_version, key_hash)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        // Only JMT's restore and migration paths ask for this; the store uses neither.
        bail!("the state store does not support rightmost-leaf queries")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jmt::mock::MockTreeStore;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The sequential path on its own, as the store computed every update
    /// before the batch path existed.
    fn sequential(
        reader: &MockTreeStore,
        version: Version,
        writes: &WriteBatch,
    ) -> (RootHash, TreeUpdateBatch) {
        let value_set = writes
            .iter()
            .map(|(key, value)| (KeyHash::with::<TreeHasher>(key), value.map(<[u8]>::to_vec)));
        JellyfishMerkleTree::<_, TreeHasher>::new(reader)
            .put_value_set(value_set, version)
            .expect("sequential update")
    }

    /// Random blocks of new keys, updates and (in some blocks) deletions,
    /// from an empty tree: every version's root, new nodes, values and
    /// stale-node index are the same on both paths.
    #[test]
    fn batch_and_sequential_updates_write_the_same_records() {
        let mut rng = ChaCha8Rng::seed_from_u64(15);
        let (batched, serial) = (MockTreeStore::default(), MockTreeStore::default());
        let mut batch_path_taken = 0;
        for version in 0..120u64 {
            let mut writes = WriteBatch::new();
            let size = match version % 4 {
                0 => 1,
                1 => rng.gen_range(2..20),
                _ => rng.gen_range(20..400),
            };
            let deletes = version % 5 == 3;
            for _ in 0..size {
                // A small key space, so blocks update and delete existing keys.
                let key = rng.gen_range(0u32..3_000).to_be_bytes();
                if deletes && rng.gen_bool(0.3) {
                    writes.delete(key.to_vec());
                } else {
                    writes.put(key.to_vec(), rng.r#gen::<[u8; 8]>().to_vec());
                }
            }
            if !deletes {
                batch_path_taken += 1;
            }
            let (root, update) = super::update(&batched, version, &writes).expect("update");
            let (expected_root, expected) = sequential(&serial, version, &writes);
            assert_eq!(root, expected_root, "root of version {version}");
            assert_eq!(update.node_batch, expected.node_batch, "nodes of {version}");
            assert_eq!(
                update.stale_node_index_batch, expected.stale_node_index_batch,
                "stale index of {version}"
            );
            batched.write_tree_update_batch(update).expect("write");
            serial.write_tree_update_batch(expected).expect("write");
        }
        assert!(batch_path_taken > 80);
    }
}

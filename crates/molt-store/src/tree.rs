//! The Jellyfish Merkle Tree read from a redb snapshot.

use std::sync::{Mutex, PoisonError};

use anyhow::{anyhow, bail};
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader};
use jmt::{JellyfishMerkleTree, KeyHash, OwnedValue, Version};
use redb::{ReadOnlyTable, ReadTransaction, StorageError};

use crate::error::{Result, StoreError, tree_error};
use crate::schema;

/// The tree's hash function: SHA3-256, the hash of the rest of Molt.
pub type TreeHasher = sha3::Sha3_256;

/// The state tree over a snapshot.
pub type StateTree<'a> = JellyfishMerkleTree<'a, TreeSnapshot, TreeHasher>;

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

//! The Jellyfish Merkle Tree read from a redb snapshot.

use anyhow::{anyhow, bail};
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader};
use jmt::{JellyfishMerkleTree, KeyHash, OwnedValue, Version};
use redb::{ReadOnlyTable, ReadTransaction};

use crate::error::Result;
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
}

impl TreeSnapshot {
    pub fn new(txn: &ReadTransaction, empty_root_at: Option<Version>) -> Result<Self> {
        Ok(TreeSnapshot {
            nodes: txn.open_table(schema::NODES)?,
            values: txn.open_table(schema::VALUES)?,
            empty_root_at,
        })
    }

    /// The value of `key_hash` at `version`, if it is set at that version.
    pub fn value_at(&self, version: Version, key_hash: KeyHash) -> anyhow::Result<Option<Vec<u8>>> {
        let low = schema::value_key(key_hash, 0);
        let high = schema::value_key(key_hash, version);
        let mut range = self.values.range::<&[u8]>(&low[..]..=&high[..])?;
        match range.next_back() {
            None => Ok(None),
            Some(entry) => {
                let (_, value) = entry?;
                schema::decode_value(value.value()).map_err(|e| anyhow!("stored value: {e}"))
            }
        }
    }
}

impl TreeReader for TreeSnapshot {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = schema::node_key(node_key);
        match self.nodes.get(&key[..])? {
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

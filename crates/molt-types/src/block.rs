//! Blocks and block headers.

use crate::address::Address;
use crate::chain::ChainId;
use crate::codec::{self, CodecError, limits};
use crate::digest::{Digest, sha3_256_tagged};
use crate::receipt::Receipt;
use crate::transaction::SignedTransaction;
use borsh::{BorshDeserialize, BorshSerialize};
use std::vec::Vec;

/// A block id: SHA3-256 of the domain tag and the encoded header.
pub type BlockId = Digest;

/// A block header. The timestamp is supplied by the proposer and is the only
/// notion of time the state machine sees.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct BlockHeader {
    pub chain_id: ChainId,
    pub height: u64,
    /// The epoch this block belongs to (its validator set and parameters);
    /// it advances at the epoch boundary.
    pub epoch: u64,
    /// Id of the parent block; [`Digest::ZERO`] for genesis.
    pub parent: BlockId,
    /// State root after executing this block.
    pub state_root: Digest,
    /// Merkle root of the block's receipts, in transaction order, see
    /// [`receipts_root`].
    pub receipts_root: Digest,
    /// Merkle root of the block's transaction ids, see [`transactions_root`].
    pub transactions_root: Digest,
    pub proposer: Address,
    /// Milliseconds since the Unix epoch, as the proposer saw it.
    pub timestamp_ms: u64,
}

impl BlockHeader {
    pub fn id(&self) -> BlockId {
        sha3_256_tagged(b"molt/block-header/v2", &codec::encode(self))
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        codec::decode("block header", bytes, limits::MAX_HEADER_BYTES)
    }
}

/// A header and the transactions it commits to.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Block {
    pub header: BlockHeader,
    pub transactions: Vec<SignedTransaction>,
}

impl Block {
    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        codec::decode("block", bytes, limits::MAX_BLOCK_BYTES)
    }
}

/// Binary Merkle root over transaction ids. Leaves and inner nodes are hashed
/// under different tags; an odd node is promoted unchanged. The empty list has
/// root SHA3-256 of the empty-tree tag.
pub fn transactions_root(ids: &[Digest]) -> Digest {
    let leaves: Vec<&[u8]> = ids.iter().map(|id| id.0.as_slice()).collect();
    merkle_root(&TX_TAGS, &leaves)
}

/// Binary Merkle root over the canonical encodings of a block's receipts, in
/// transaction order, built like [`transactions_root`] under its own tags.
pub fn receipts_root(receipts: &[Receipt]) -> Digest {
    let encoded: Vec<Vec<u8>> = receipts.iter().map(codec::encode).collect();
    let leaves: Vec<&[u8]> = encoded.iter().map(Vec::as_slice).collect();
    merkle_root(&RECEIPT_TAGS, &leaves)
}

/// Domain tags of one Merkle tree: empty, leaf, inner node.
struct MerkleTags {
    empty: &'static [u8],
    leaf: &'static [u8],
    node: &'static [u8],
}

const TX_TAGS: MerkleTags = MerkleTags {
    empty: b"molt/tx-merkle/empty",
    leaf: b"molt/tx-merkle/leaf",
    node: b"molt/tx-merkle/node",
};

const RECEIPT_TAGS: MerkleTags = MerkleTags {
    empty: b"molt/receipt-merkle/empty",
    leaf: b"molt/receipt-merkle/leaf",
    node: b"molt/receipt-merkle/node",
};

fn merkle_root(tags: &MerkleTags, leaves: &[&[u8]]) -> Digest {
    if leaves.is_empty() {
        return sha3_256_tagged(tags.empty, &[]);
    }
    let mut level: Vec<Digest> = leaves
        .iter()
        .map(|leaf| sha3_256_tagged(tags.leaf, leaf))
        .collect();
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        for pair in level.chunks(2) {
            match pair {
                [l, r] => {
                    let mut buf = [0u8; 64];
                    buf[..32].copy_from_slice(&l.0);
                    buf[32..].copy_from_slice(&r.0);
                    next.push(sha3_256_tagged(tags.node, &buf));
                }
                [single] => next.push(*single),
                _ => unreachable!("chunks(2) yields one or two items"),
            }
        }
        level = next;
    }
    level[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::sha3_256;

    #[test]
    fn root_depends_on_order_and_content() {
        let a = sha3_256(b"a");
        let b = sha3_256(b"b");
        let c = sha3_256(b"c");
        assert_ne!(transactions_root(&[a, b]), transactions_root(&[b, a]));
        assert_ne!(transactions_root(&[a, b, c]), transactions_root(&[a, b]));
        assert_ne!(transactions_root(&[]), transactions_root(&[a]));
        assert_eq!(transactions_root(&[a, b, c]), transactions_root(&[a, b, c]));
    }
}

//! Molt blocks as Commonware sees them.
//!
//! [`ChainBlock`] wraps a [`molt_types::Block`]. Its digest is the block id
//! (the SHA3-256 of the header, which commits to the parent, height, state
//! root, receipts root and transactions root), so the digest consensus votes
//! on is the id users see over RPC. On the wire a block is its canonical
//! borsh encoding behind a 4-byte big-endian length; decoding refuses a
//! length above [`molt_types::codec::limits::MAX_BLOCK_BYTES`] (or the configured
//! bound) and any encoding that does not re-encode to the same bytes.

use commonware_codec::{EncodeSize, Error as CodecError, Read, Write};
use commonware_consensus::types::Height;
use commonware_consensus::{Block as ConsensusBlock, Heightable};
use commonware_cryptography::{Digestible, sha256};
use molt_types::{Block, BlockId, codec};

/// The digest type consensus votes on: a Molt block id.
pub type BlockDigest = sha256::Digest;

/// The consensus digest of a Molt block id.
pub fn digest_of(id: &BlockId) -> BlockDigest {
    sha256::Digest(id.0)
}

/// The Molt block id of a consensus digest.
pub fn id_of(digest: &BlockDigest) -> BlockId {
    molt_types::Digest(digest.0)
}

/// A Molt block with its id computed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBlock {
    block: Block,
    id: BlockId,
    encoded: Vec<u8>,
}

impl ChainBlock {
    pub fn new(block: Block) -> Self {
        let id = block.header.id();
        let encoded = codec::encode(&block);
        ChainBlock { block, id, encoded }
    }

    pub fn block(&self) -> &Block {
        &self.block
    }

    pub fn id(&self) -> BlockId {
        self.id
    }
}

impl Digestible for ChainBlock {
    type Digest = BlockDigest;

    fn digest(&self) -> BlockDigest {
        digest_of(&self.id)
    }
}

impl Heightable for ChainBlock {
    fn height(&self) -> Height {
        Height::new(self.block.header.height)
    }
}

impl ConsensusBlock for ChainBlock {
    fn parent(&self) -> BlockDigest {
        digest_of(&self.block.header.parent)
    }
}

impl Write for ChainBlock {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        buf.put_u32(self.encoded.len() as u32);
        buf.put_slice(&self.encoded);
    }
}

impl EncodeSize for ChainBlock {
    fn encode_size(&self) -> usize {
        4 + self.encoded.len()
    }
}

impl Read for ChainBlock {
    /// The largest encoded block accepted.
    type Cfg = usize;

    fn read_cfg(buf: &mut impl commonware_codec::Buf, limit: &usize) -> Result<Self, CodecError> {
        if buf.remaining() < 4 {
            return Err(CodecError::EndOfBuffer);
        }
        let len = buf.get_u32() as usize;
        if len > *limit {
            return Err(CodecError::Invalid(
                "ChainBlock",
                "longer than the block size limit",
            ));
        }
        if buf.remaining() < len {
            return Err(CodecError::EndOfBuffer);
        }
        let mut bytes = vec![0u8; len];
        buf.copy_to_slice(&mut bytes);
        let block: Block = codec::decode("block", &bytes, *limit)
            .map_err(|_| CodecError::Invalid("ChainBlock", "not a canonical Molt block"))?;
        let chain_block = ChainBlock::new(block);
        if chain_block.encoded != bytes {
            return Err(CodecError::Invalid(
                "ChainBlock",
                "not a canonical encoding",
            ));
        }
        Ok(chain_block)
    }
}

impl commonware_consensus::BoundedBlock for ChainBlock {
    fn max_encode_size(limit: &usize) -> usize {
        4 + *limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{Copying, Decode, Encode};
    use molt_runtime::Genesis;

    fn genesis_block() -> Block {
        let dir = tempfile::tempdir().unwrap();
        let rt =
            molt_runtime::Runtime::open(dir.path(), &Genesis::dev(), Default::default()).unwrap();
        rt.latest_block().unwrap()
    }

    #[test]
    fn a_block_round_trips_and_its_digest_is_its_id() {
        let block = ChainBlock::new(genesis_block());
        let bytes = block.encode();
        let back = ChainBlock::decode_cfg(
            Copying(bytes.as_ref()),
            &molt_types::codec::limits::MAX_BLOCK_BYTES,
        )
        .unwrap();
        assert_eq!(back, block);
        assert_eq!(id_of(&back.digest()), block.block().header.id());
    }

    #[test]
    fn truncated_oversized_and_trailing_bytes_are_refused() {
        let block = ChainBlock::new(genesis_block());
        let bytes = block.encode().to_vec();
        let limit = molt_types::codec::limits::MAX_BLOCK_BYTES;
        assert!(ChainBlock::decode_cfg(Copying(&bytes[..bytes.len() - 1]), &limit).is_err());
        assert!(ChainBlock::decode_cfg(Copying(&bytes[..]), &(bytes.len() - 5)).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(ChainBlock::decode_cfg(Copying(&longer[..]), &limit).is_err());
        let mut garbage = bytes.clone();
        garbage[6] ^= 0xff;
        let _ = ChainBlock::decode_cfg(Copying(&garbage[..]), &limit); // never panics
    }
}

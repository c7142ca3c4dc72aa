//! The canonical binary codec: borsh, for state, transactions, blocks,
//! receipts, interfaces, arguments and payloads alike.
//!
//! Borsh is canonical (one encoding per value), has a `no_std` mode for Wasm
//! programs and a specification independent of Rust. Untrusted bytes are only
//! decoded through [`decode`], which
//! - refuses input longer than the caller's limit before touching it,
//! - rejects trailing bytes (so two different byte strings never decode to the
//!   same value),
//! - returns an error rather than panicking on truncated or random input.
//!
//! Borsh's own readers never pre-allocate more than a small bounded capacity
//! from an attacker-supplied length prefix, so a short input cannot make the
//! decoder allocate gigabytes.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use borsh::{BorshDeserialize, BorshSerialize};

/// Size limits for the kinds of untrusted input the node decodes.
pub mod limits {
    /// A signed transaction, including a published module.
    pub const MAX_TRANSACTION_BYTES: usize = 1024 * 1024;
    /// The largest any transaction may be: a governance resolve of an
    /// approved payload may exceed [`MAX_TRANSACTION_BYTES`] up to the
    /// governance limit, which is never above this (docs/framework.md,
    /// "Large resolve transactions"). Decoders of untrusted transactions
    /// that may carry one (RPC, gossip, the mempool journal) use it; the
    /// runtime then applies the real rule.
    pub const MAX_RESOLVE_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;
    /// A block header.
    pub const MAX_HEADER_BYTES: usize = 4 * 1024;
    /// A receipt, including its events.
    pub const MAX_RECEIPT_BYTES: usize = 1024 * 1024;
    /// A whole block with its transactions.
    pub const MAX_BLOCK_BYTES: usize = 16 * 1024 * 1024;
}

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("input is {len} bytes, over the limit of {limit} bytes for a {what}")]
    TooLarge {
        what: &'static str,
        len: usize,
        limit: usize,
    },
    #[error("malformed {what}: {reason}")]
    Malformed { what: &'static str, reason: String },
}

/// Encodes a value canonically. Encoding into memory cannot fail for the
/// types in this crate; an error here means a type with an unencodable field.
pub fn encode<T: BorshSerialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec only fails on an invariant of the type itself (for
    // example a collection longer than u32::MAX), which state code never builds.
    value
        .serialize(&mut out)
        .expect("borsh encoding into a Vec is infallible for bounded values");
    out
}

/// Decodes an untrusted value of kind `what` (used in the error message) from
/// exactly `bytes`, refusing input longer than `limit`.
pub fn decode<T: BorshDeserialize>(
    what: &'static str,
    bytes: &[u8],
    limit: usize,
) -> Result<T, CodecError> {
    if bytes.len() > limit {
        return Err(CodecError::TooLarge {
            what,
            len: bytes.len(),
            limit,
        });
    }
    let mut rest = bytes;
    let value = T::deserialize(&mut rest).map_err(|e| CodecError::Malformed {
        what,
        reason: e.to_string(),
    })?;
    if !rest.is_empty() {
        return Err(CodecError::Malformed {
            what,
            reason: alloc::format!("{} unexpected trailing bytes", rest.len()),
        });
    }
    Ok(value)
}

/// Serde helper: byte vectors as `0x` hex strings in JSON.
#[cfg(feature = "serde")]
pub mod hex_bytes {
    use alloc::string::String;
    use alloc::vec::Vec;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&alloc::format!("0x{}", hex::encode(bytes)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s.strip_prefix("0x").unwrap_or(&s)).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut bytes = encode(&7u32);
        bytes.push(0);
        assert!(matches!(
            decode::<u32>("number", &bytes, 16),
            Err(CodecError::Malformed { .. })
        ));
    }

    #[test]
    fn limit_is_checked_first() {
        let bytes = vec![0u8; 17];
        assert_eq!(
            decode::<Vec<u8>>("blob", &bytes, 16),
            Err(CodecError::TooLarge {
                what: "blob",
                len: 17,
                limit: 16
            })
        );
    }

    #[test]
    fn huge_length_prefix_does_not_allocate_or_panic() {
        // A Vec<u64> claiming 2^32-1 elements with no data behind it.
        let bytes = [0xff, 0xff, 0xff, 0xff];
        assert!(decode::<Vec<u64>>("list", &bytes, 16).is_err());
    }
}

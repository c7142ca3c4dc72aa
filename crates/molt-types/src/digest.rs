//! 32-byte digests and the SHA3-256 helpers used for code checksums, payload
//! hashes, transaction ids and block ids.

use alloc::string::String;
use borsh::{BorshDeserialize, BorshSerialize};
use core::fmt;
use core::str::FromStr;
use sha3::{Digest as _, Sha3_256};

/// A SHA3-256 output (or any 32-byte commitment such as a state root).
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, BorshSerialize, BorshDeserialize,
)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The all-zero digest: the parent of the genesis block and the root of
    /// an empty tree where a caller needs a placeholder.
    pub const ZERO: Digest = Digest([0; 32]);

    pub const fn new(bytes: [u8; 32]) -> Self {
        Digest(bytes)
    }

    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex with a `0x` prefix.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(66);
        s.push_str("0x");
        s.push_str(&hex::encode(self.0));
        s
    }
}

/// SHA3-256 of `bytes`.
pub fn sha3_256(bytes: &[u8]) -> Digest {
    Digest(Sha3_256::digest(bytes).into())
}

/// SHA3-256 of a domain tag followed by `bytes`. Tags keep hashes of
/// different kinds of object from colliding (a transaction can never hash to
/// the same id as a block header with the same bytes).
pub fn sha3_256_tagged(tag: &[u8], bytes: &[u8]) -> Digest {
    let mut h = Sha3_256::new();
    h.update(tag);
    h.update(bytes);
    Digest(h.finalize().into())
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("0x")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

/// Why a string is not a digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestParseError {
    #[error("a digest is 64 hex characters, optionally prefixed with 0x; got {0} characters")]
    Length(usize),
    #[error("a digest must be hexadecimal (0-9, a-f)")]
    NotHex,
}

impl FromStr for Digest {
    type Err = DigestParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex_part = s.strip_prefix("0x").unwrap_or(s);
        if hex_part.len() != 64 {
            return Err(DigestParseError::Length(hex_part.len()));
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut out).map_err(|_| DigestParseError::NotHex)?;
        Ok(Digest(out))
    }
}

#[cfg(feature = "serde")]
mod serde_impl {
    use super::Digest;
    use alloc::string::String;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

    impl Serialize for Digest {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&self.to_hex())
        }
    }

    impl<'de> Deserialize<'de> for Digest {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = String::deserialize(d)?;
            s.parse().map_err(D::Error::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha3_matches_known_vector() {
        // SHA3-256("abc") from FIPS 202 examples.
        assert_eq!(
            sha3_256(b"abc").to_hex(),
            "0x3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"
        );
    }

    #[test]
    fn tags_separate_domains() {
        assert_ne!(sha3_256_tagged(b"A", b"x"), sha3_256_tagged(b"B", b"x"));
    }

    #[test]
    fn parse_round_trip_and_errors() {
        let d = sha3_256(b"molt");
        assert_eq!(d.to_hex().parse::<Digest>().unwrap(), d);
        assert_eq!("0x12".parse::<Digest>(), Err(DigestParseError::Length(2)));
        let bad = alloc::format!("0x{}", "zz".repeat(32));
        assert_eq!(bad.parse::<Digest>(), Err(DigestParseError::NotHex));
    }
}

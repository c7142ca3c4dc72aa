//! Account and package addresses.

use crate::digest::{Digest, sha3_256_tagged};
use alloc::string::String;
use borsh::{BorshDeserialize, BorshSerialize};
use core::fmt;
use core::str::FromStr;

/// A 32-byte account or package address.
///
/// Human form: `0x` followed by 64 lowercase hex digits. Parsing also accepts
/// the short form of small addresses (`0x1` for the first reserved framework
/// address), left-padded with zeros, as Sui and Aptos do.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, BorshSerialize, BorshDeserialize,
)]
pub struct Address(pub [u8; 32]);

impl Address {
    pub const ZERO: Address = Address([0; 32]);

    pub const fn new(bytes: [u8; 32]) -> Self {
        Address(bytes)
    }

    /// A small reserved address, `0x1`..`0xff..`, as used by framework packages.
    pub const fn reserved(n: u64) -> Self {
        let be = n.to_be_bytes();
        let mut out = [0u8; 32];
        let mut i = 0;
        while i < 8 {
            out[24 + i] = be[i];
            i += 1;
        }
        Address(out)
    }

    /// The address of an ed25519 public key: SHA3-256 over a scheme tag and the
    /// key bytes, so that a future signature scheme gets disjoint addresses.
    pub fn from_ed25519_public_key(key: &[u8; 32]) -> Self {
        Address(sha3_256_tagged(b"molt/address/ed25519", key).0)
    }

    /// An address derived from a digest (package ids, for example).
    pub const fn from_digest(d: Digest) -> Self {
        Address(d.0)
    }

    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex with a `0x` prefix, always 64 digits.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(66);
        s.push_str("0x");
        s.push_str(&hex::encode(self.0));
        s
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("0x")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({self})")
    }
}

/// Why a string is not an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressParseError {
    #[error("an address starts with 0x")]
    MissingPrefix,
    #[error("an address has 1 to 64 hex digits after 0x; got {0}")]
    Length(usize),
    #[error("an address must be hexadecimal (0-9, a-f) after 0x")]
    NotHex,
}

impl FromStr for Address {
    type Err = AddressParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s
            .strip_prefix("0x")
            .ok_or(AddressParseError::MissingPrefix)?;
        if digits.is_empty() || digits.len() > 64 {
            return Err(AddressParseError::Length(digits.len()));
        }
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AddressParseError::NotHex);
        }
        let mut padded = [b'0'; 64];
        padded[64 - digits.len()..].copy_from_slice(digits.as_bytes());
        let mut out = [0u8; 32];
        hex::decode_to_slice(padded, &mut out).map_err(|_| AddressParseError::NotHex)?;
        Ok(Address(out))
    }
}

#[cfg(feature = "serde")]
mod serde_impl {
    use super::Address;
    use alloc::string::String;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

    impl Serialize for Address {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&self.to_hex())
        }
    }

    impl<'de> Deserialize<'de> for Address {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = String::deserialize(d)?;
            s.parse().map_err(D::Error::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    #[test]
    fn short_form_is_left_padded() {
        let a: Address = "0x1".parse().unwrap();
        assert_eq!(a, Address::reserved(1));
        assert_eq!(a.to_hex(), format!("0x{}1", "0".repeat(63)));
    }

    #[test]
    fn parse_errors_are_typed() {
        assert_eq!(
            "12".parse::<Address>(),
            Err(AddressParseError::MissingPrefix)
        );
        assert_eq!("0x".parse::<Address>(), Err(AddressParseError::Length(0)));
        assert_eq!("0xg1".parse::<Address>(), Err(AddressParseError::NotHex));
        let long = format!("0x{}", "1".repeat(65));
        assert_eq!(long.parse::<Address>(), Err(AddressParseError::Length(65)));
    }

    #[test]
    fn display_parses_back() {
        let a = Address::from_ed25519_public_key(&[7; 32]);
        assert_eq!(a.to_string().parse::<Address>().unwrap(), a);
    }
}

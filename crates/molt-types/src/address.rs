//! Account and package addresses.

use crate::digest::{Digest, sha3_256_tagged};
use alloc::string::String;
use borsh::{BorshDeserialize, BorshSerialize};
use core::fmt;
use core::str::FromStr;

/// A 32-byte account or package address.
///
/// # Text form
///
/// An address is printed as `0x` followed by exactly 64 lowercase hex digits.
/// Parsing accepts two forms, and nothing in between:
///
/// - the full form: `0x` and exactly 64 hex digits (either case);
/// - the short form of a *reserved system address*: `0x` and 1 to
///   [`Address::SHORT_FORM_DIGITS`] (4) hex digits, the address's value with
///   its leading zeros left out (`0x0` is the system address, `0x1` the
///   first framework address, `0x7e57` ...). Reserved addresses are those
///   whose value is below [`Address::RESERVED_LIMIT`] (2^16): the first 30
///   bytes are zero. No key hashes to one in practice, so the short form can
///   only ever mean a system or framework address.
///
/// Any other length (5 to 63 digits, or more than 64) is refused with
/// [`AddressParseError::Length`]: a full address with a digit missing or
/// added is a typo, and padding it with zeros would name somebody else's
/// address.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, BorshSerialize, BorshDeserialize,
)]
pub struct Address(pub [u8; 32]);

impl Address {
    pub const ZERO: Address = Address([0; 32]);

    /// Reserved system addresses are those whose value is below this (2^16),
    /// `0x0` to `0xffff`; only they may be written in the short form.
    pub const RESERVED_LIMIT: u64 = 1 << 16;

    /// The most hex digits of the short form (`0xffff`).
    pub const SHORT_FORM_DIGITS: usize = 4;

    /// The number of hex digits of the full form.
    pub const FULL_FORM_DIGITS: usize = 64;

    pub const fn new(bytes: [u8; 32]) -> Self {
        Address(bytes)
    }

    /// The address whose value is `n` (big-endian in the last 8 bytes). It is
    /// a reserved system address, writable as `0x` and `n` in hex, when `n`
    /// is below [`Address::RESERVED_LIMIT`].
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

    /// Whether this is a reserved system address (value below 2^16), the
    /// only kind that the short text form can name.
    pub fn is_reserved(&self) -> bool {
        self.0[..30].iter().all(|b| *b == 0)
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
    #[error(
        "an address is 0x followed by exactly 64 hex digits, or by 1 to 4 hex digits for a \
         reserved system address (0x0 to 0xffff); got {0} digits{hint}",
        hint = length_hint(*.0)
    )]
    Length(usize),
    #[error("an address must be hexadecimal (0-9, a-f) after 0x")]
    NotHex,
}

fn length_hint(digits: usize) -> &'static str {
    match digits {
        0 => "",
        63 | 65 => ": a digit is missing or extra, check the address for a typo",
        _ if digits > Address::FULL_FORM_DIGITS => ": too long",
        _ => ": short addresses are only for reserved system addresses",
    }
}

impl FromStr for Address {
    type Err = AddressParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s
            .strip_prefix("0x")
            .ok_or(AddressParseError::MissingPrefix)?;
        let n = digits.len();
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AddressParseError::NotHex);
        }
        if n != Address::FULL_FORM_DIGITS && !(1..=Address::SHORT_FORM_DIGITS).contains(&n) {
            return Err(AddressParseError::Length(n));
        }
        let mut padded = [b'0'; 64];
        padded[64 - n..].copy_from_slice(digits.as_bytes());
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
        assert!(a.is_reserved());
        assert_eq!("0x0".parse::<Address>().unwrap(), Address::ZERO);
        assert_eq!(
            "0xFFFF".parse::<Address>().unwrap(),
            Address::reserved(Address::RESERVED_LIMIT - 1)
        );
    }

    #[test]
    fn only_reserved_addresses_have_a_short_form() {
        // 5 to 63 digits would be zero-padded into a non-reserved address.
        for n in [5, 17, 40, 63] {
            let s = format!("0x{}", "1".repeat(n));
            assert_eq!(s.parse::<Address>(), Err(AddressParseError::Length(n)));
        }
        assert!(!Address::reserved(Address::RESERVED_LIMIT).is_reserved());
        let typo = format!("0x{}", "ab".repeat(32));
        let message = typo[..65].parse::<Address>().unwrap_err().to_string();
        assert!(message.contains("got 63 digits"), "{message}");
        assert!(message.contains("typo"), "{message}");
    }

    #[test]
    fn parse_errors_are_typed() {
        assert_eq!(
            "12".parse::<Address>(),
            Err(AddressParseError::MissingPrefix)
        );
        assert_eq!("0x".parse::<Address>(), Err(AddressParseError::Length(0)));
        assert_eq!("0xg1".parse::<Address>(), Err(AddressParseError::NotHex));
        assert_eq!("0x1é".parse::<Address>(), Err(AddressParseError::NotHex));
        let long = format!("0x{}", "1".repeat(65));
        assert_eq!(long.parse::<Address>(), Err(AddressParseError::Length(65)));
        let longer = format!("0x{}", "1".repeat(1000));
        assert_eq!(
            longer.parse::<Address>(),
            Err(AddressParseError::Length(1000))
        );
    }

    #[test]
    fn display_parses_back() {
        let a = Address::from_ed25519_public_key(&[7; 32]);
        assert_eq!(a.to_string().parse::<Address>().unwrap(), a);
        assert!(!a.is_reserved());
    }
}

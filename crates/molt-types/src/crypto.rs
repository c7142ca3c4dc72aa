//! ed25519 keys and signatures.
//!
//! Verification is `verify_strict`: it rejects small-order keys and
//! non-canonical signatures, so a valid signature cannot be mutated into a
//! second valid one.

use crate::address::Address;
use borsh::{BorshDeserialize, BorshSerialize};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use std::fmt;
use std::str::FromStr;
use std::string::String;

/// An ed25519 public key (32 bytes).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct PublicKey(pub [u8; 32]);

/// An ed25519 signature (64 bytes).
#[derive(Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Signature(pub [u8; 64]);

/// An ed25519 secret key. Its `Debug` never prints the key.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the public key is not a valid ed25519 point")]
    InvalidPublicKey,
    #[error("the signature does not verify for this message and public key")]
    Mismatch,
}

/// Why a string is not a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    #[error("a key is 64 hex characters, optionally prefixed with 0x")]
    Format,
}

impl PublicKey {
    pub fn address(&self) -> Address {
        Address::from_ed25519_public_key(&self.0)
    }

    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), SignatureError> {
        let key =
            VerifyingKey::from_bytes(&self.0).map_err(|_| SignatureError::InvalidPublicKey)?;
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        key.verify_strict(message, &sig)
            .map_err(|_| SignatureError::Mismatch)
    }
}

impl SecretKey {
    /// A new key from the operating system's randomness.
    pub fn generate() -> Self {
        SecretKey(SigningKey::generate(&mut rand_core::OsRng))
    }

    /// A key from its 32-byte seed (deterministic; used for dev accounts and tests).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        SecretKey(SigningKey::from_bytes(&seed))
    }

    pub fn to_seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    pub fn address(&self) -> Address {
        self.public_key().address()
    }

    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public={})", self.public_key())
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl FromStr for PublicKey {
    type Err = KeyParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s.strip_prefix("0x").unwrap_or(s), &mut out)
            .map_err(|_| KeyParseError::Format)?;
        Ok(PublicKey(out))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature(0x{})", hex::encode(self.0))
    }
}

impl Signature {
    pub fn to_hex(&self) -> String {
        std::format!("0x{}", hex::encode(self.0))
    }
}

#[cfg(feature = "serde")]
mod serde_impl {
    use super::{PublicKey, Signature};
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};
    use std::string::{String, ToString};

    impl Serialize for PublicKey {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&self.to_string())
        }
    }
    impl<'de> Deserialize<'de> for PublicKey {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            String::deserialize(d)?.parse().map_err(D::Error::custom)
        }
    }
    impl Serialize for Signature {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&self.to_hex())
        }
    }
    impl<'de> Deserialize<'de> for Signature {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = String::deserialize(d)?;
            let mut out = [0u8; 64];
            hex::decode_to_slice(s.strip_prefix("0x").unwrap_or(&s), &mut out)
                .map_err(D::Error::custom)?;
            Ok(Signature(out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_tamper() {
        let key = SecretKey::from_seed([3; 32]);
        let sig = key.sign(b"hello");
        assert_eq!(key.public_key().verify(b"hello", &sig), Ok(()));
        assert_eq!(
            key.public_key().verify(b"hellp", &sig),
            Err(SignatureError::Mismatch)
        );
        let other = SecretKey::from_seed([4; 32]);
        assert_eq!(
            other.public_key().verify(b"hello", &sig),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn debug_hides_secret() {
        let key = SecretKey::from_seed([9; 32]);
        let shown = std::format!("{key:?}");
        assert!(!shown.contains(&hex::encode([9u8; 32])));
    }
}

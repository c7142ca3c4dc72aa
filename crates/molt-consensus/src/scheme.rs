//! Keys and signatures of validators: ed25519, the same keys as Molt
//! accounts (a validator's Molt address is derived from its consensus key).

pub use commonware_cryptography::ed25519::{PrivateKey, PublicKey};

/// The simplex signing scheme: ed25519 votes, certificates that list their
/// signers (attributable).
pub type Scheme = commonware_consensus::simplex::scheme::ed25519::Scheme;

/// The Commonware public key of a Molt public key.
pub fn consensus_key(key: &molt_types::PublicKey) -> Result<PublicKey, String> {
    use commonware_codec::{Copying, DecodeExt};
    PublicKey::decode(Copying(&key.0[..])).map_err(|e| format!("not an ed25519 public key: {e}"))
}

/// The Commonware private key of a Molt secret key.
pub fn consensus_private_key(key: &molt_types::SecretKey) -> Result<PrivateKey, String> {
    use commonware_codec::{Copying, DecodeExt};
    PrivateKey::decode(Copying(&key.to_seed()[..]))
        .map_err(|e| format!("not an ed25519 secret key: {e}"))
}

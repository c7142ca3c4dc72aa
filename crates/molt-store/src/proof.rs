//! Self-contained proofs that a key holds a value, or is absent, under a
//! state root.

use borsh::{BorshDeserialize, BorshSerialize};
use jmt::proof::SparseMerkleProof;
use jmt::{KeyHash, RootHash};
use molt_types::Digest;

use crate::error::ProofError;
use crate::tree::TreeHasher;

/// Largest encoded [`StateProof`] accepted by [`StateProof::decode`].
///
/// A proof holds at most one leaf (1 + 64 bytes) and at most 256 siblings of
/// at most 1 + 64 bytes each, behind a 4-byte length: 16,709 bytes.
pub const MAX_PROOF_BYTES: usize = 17 * 1024;

/// A Merkle proof from one key's position in the state tree to the root.
///
/// It proves inclusion (the key holds a value) or exclusion (the key is
/// absent) and is checked by [`StateProof::verify`] with the root alone, no
/// database. Its encoding is borsh of the Jellyfish Merkle proof: an
/// optional leaf (key hash, value hash), then the siblings from the leaf
/// level up to the root, each tagged null (0), internal (1, two child
/// hashes) or leaf (2, key hash and value hash).
#[derive(Debug, Clone, PartialEq, BorshSerialize, BorshDeserialize)]
pub struct StateProof {
    proof: SparseMerkleProof<TreeHasher>,
}

impl StateProof {
    pub(crate) fn new(proof: SparseMerkleProof<TreeHasher>) -> Self {
        StateProof { proof }
    }

    /// Checks that under `root`, `key` holds `value` (`Some`) or is absent
    /// (`None`).
    pub fn verify(&self, root: Digest, key: &[u8], value: Option<&[u8]>) -> Result<(), ProofError> {
        let key_hash = KeyHash::with::<TreeHasher>(key);
        self.proof
            .verify(RootHash(root.0), key_hash, value)
            .map_err(|e| ProofError::Invalid {
                claim: if value.is_some() {
                    "holds the given value"
                } else {
                    "is absent"
                },
                root: root.to_hex(),
                reason: e.to_string(),
            })
    }

    /// The canonical encoding, accepted by [`StateProof::decode`].
    pub fn to_bytes(&self) -> Vec<u8> {
        molt_types::encode(self)
    }

    /// Decodes an untrusted proof of at most [`MAX_PROOF_BYTES`] bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProofError> {
        Ok(molt_types::decode("state proof", bytes, MAX_PROOF_BYTES)?)
    }
}

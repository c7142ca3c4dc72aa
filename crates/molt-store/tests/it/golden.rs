//! Frozen outputs: a change here changes every state root (a hard fork).
//! Update the constants only on purpose, with a decision record.

use molt_store::StateProof;
use molt_types::sha3_256;

use crate::util::{TempStore, no_aux, puts};

/// Root of `{"a": "1", "b": "2"}` (SHA3-256 Jellyfish Merkle Tree).
const ROOT_AB: &str = "0xd03ab2d639dcafb8d6e46c44bfbc3bc6e17739ffcaa7c7afac040227ab054330";
/// SHA3-256 of the encoded proof of `"a"` in that tree.
const PROOF_A_DIGEST: &str = "0x2318442a41cd452926b3846397e80ade0b7bc55d07ebb7e29a064dc20c7479ea";
/// The root of the empty tree: JMT's placeholder, not a hash.
const EMPTY_ROOT: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";

#[test]
fn roots_and_proof_encoding_are_frozen() {
    let t = TempStore::archive();
    let empty = t.store.commit(0, &puts(&[]), &no_aux()).expect("v0");
    assert_eq!(empty.0, EMPTY_ROOT);
    let root = t
        .store
        .commit(1, &puts(&[("a", "1"), ("b", "2")]), &no_aux())
        .expect("v1");
    let (_, proof) = t.store.get_with_proof(b"a", 1).expect("proof");
    let bytes = proof.to_bytes();
    assert_eq!(bytes.len(), 136);
    assert_eq!(root.to_hex(), ROOT_AB);
    assert_eq!(sha3_256(&bytes).to_hex(), PROOF_A_DIGEST);
    assert_eq!(StateProof::decode(&bytes).expect("decode"), proof);
}

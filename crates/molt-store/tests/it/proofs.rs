//! Proofs: inclusion and exclusion verify against the root alone, and any
//! tampering with the value, key, root or proof bytes is rejected.

use proptest::collection::vec;
use proptest::prelude::*;

use molt_store::{MAX_PROOF_BYTES, ProofError, StateProof, WriteBatch};
use molt_types::{CodecError, Digest};

use crate::roots::{UNIVERSE, arb_batches, key};
use crate::util::{TempStore, no_aux};

#[test]
fn proofs_against_an_empty_tree() {
    let t = TempStore::archive();
    let root = t
        .store
        .commit(0, &WriteBatch::new(), &no_aux())
        .expect("empty genesis");
    let (value, proof) = t.store.get_with_proof(b"anything", 0).expect("proof");
    assert_eq!(value, None);
    proof
        .verify(root, b"anything", None)
        .expect("absent from the empty tree");
    assert!(proof.verify(root, b"anything", Some(b"x")).is_err());
    let round_trip = StateProof::decode(&proof.to_bytes()).expect("decode");
    assert_eq!(round_trip, proof);
}

#[test]
fn decode_limits_size() {
    let bytes = vec![0u8; MAX_PROOF_BYTES + 1];
    assert!(matches!(
        StateProof::decode(&bytes),
        Err(ProofError::Decode(CodecError::TooLarge { .. }))
    ));
}

fn tamper(mut bytes: Vec<u8>) -> Vec<u8> {
    match bytes.last_mut() {
        Some(b) => *b ^= 1,
        None => bytes.push(0),
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn proofs_verify_and_reject_tampering(
        batches in arb_batches(),
        version in any::<prop::sample::Index>(),
        byte in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let t = TempStore::archive();
        for (v, writes) in batches.iter().enumerate() {
            t.store.commit(v as u64, writes, &no_aux()).expect("commit");
        }
        let version = version.index(batches.len()) as u64;
        let root = t.store.root(version).expect("root");
        let wrong_root = Digest(tamper(root.0.to_vec()).try_into().expect("32 bytes"));
        let present: Vec<Vec<u8>> = (0..UNIVERSE)
            .map(key)
            .filter(|k| t.store.get_at(k, version).expect("get_at").is_some())
            .collect();

        // Keys of the universe (present or absent) and keys never written.
        let keys = (0..UNIVERSE).map(key).chain([b"never".to_vec(), Vec::new()]);
        for k in keys {
            let (value, proof) = t.store.get_with_proof(&k, version).expect("proof");
            prop_assert_eq!(&value, &t.store.get_at(&k, version).expect("get_at"));
            proof.verify(root, &k, value.as_deref()).expect("honest proof verifies");
            prop_assert!(proof.verify(wrong_root, &k, value.as_deref()).is_err());

            let bytes = proof.to_bytes();
            prop_assert_eq!(&StateProof::decode(&bytes).expect("decode"), &proof);
            let i = byte.index(bytes.len());
            let mut flipped = bytes.clone();
            flipped[i] ^= flip;
            if let Ok(forged) = StateProof::decode(&flipped) {
                prop_assert!(
                    forged.verify(root, &k, value.as_deref()).is_err(),
                    "byte {} of {} flipped with {:#x} still verifies", i, bytes.len(), flip
                );
            }

            match &value {
                Some(v) => {
                    // Inclusion: another value, no value, or another key fail.
                    prop_assert!(proof.verify(root, &k, Some(&tamper(v.clone()))).is_err());
                    prop_assert!(proof.verify(root, &k, None).is_err());
                    prop_assert!(proof.verify(root, &tamper(k.clone()), Some(v)).is_err());
                }
                None => {
                    // Exclusion: claiming a value fails, and the proof cannot
                    // show any present key absent.
                    prop_assert!(proof.verify(root, &k, Some(b"x")).is_err());
                    for p in &present {
                        prop_assert!(proof.verify(root, p, None).is_err());
                    }
                }
            }
        }
    }

    #[test]
    fn decode_of_random_bytes_never_panics(bytes in vec(any::<u8>(), 0..2048)) {
        if let Ok(proof) = StateProof::decode(&bytes) {
            // Canonical: a proof that decodes re-encodes to the same bytes.
            prop_assert_eq!(proof.to_bytes(), bytes);
        }
    }

    #[test]
    fn truncated_proofs_are_rejected(batches in arb_batches(), cut in any::<prop::sample::Index>()) {
        let t = TempStore::archive();
        for (v, writes) in batches.iter().enumerate() {
            t.store.commit(v as u64, writes, &no_aux()).expect("commit");
        }
        let latest = t.store.latest_version().expect("latest");
        for i in 0..UNIVERSE {
            let (_, proof) = t.store.get_with_proof(&key(i), latest).expect("proof");
            let bytes = proof.to_bytes();
            let at = cut.index(bytes.len());
            prop_assert!(StateProof::decode(&bytes[..at]).is_err());
            let mut longer = bytes.clone();
            longer.push(0);
            prop_assert!(StateProof::decode(&longer).is_err());
        }
    }
}

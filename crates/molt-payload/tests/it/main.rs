//! molt-payload: the frozen encoding, the execution hash, and refusals of
//! untrusted bytes.

use molt_payload::*;
use molt_types::{Address, Digest, sha3_256};

const FIXTURE: &str = "tests/fixtures/payload_v1.hex";

/// One of every action, with small recognisable fields.
fn sample() -> Payload {
    Payload::new(vec![
        Action::UpgradePackage {
            package: Address::reserved(2),
            module: vec![0x00, 0x61, 0x73, 0x6d],
        },
        Action::SetParams {
            params: vec![1, 2, 3],
        },
        Action::SetNextValidators {
            validators: vec![ValidatorEntry {
                address: Address([0xaa; 32]),
                public_key: [0xbb; 32],
                voting_power: 7,
            }],
        },
        Action::EndEpoch,
        Action::CallAsGovernance {
            package: Address::reserved(1),
            function: "f".into(),
            args: vec![9],
        },
        Action::ScheduleProtocolUpgrade {
            version: "2.0.0".into(),
            height: 100,
            binary_hash: Digest([0xcc; 32]),
        },
        Action::RegistryChange {
            name: "dex".into(),
            target: Some(Address::reserved(0x10)),
        },
        Action::NextStep {
            hash: Digest([0xdd; 32]),
        },
    ])
}

fn fixture_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE)
}

/// The variants appended after the first fixture was frozen, in a fixture
/// of their own: the first one never changes.
fn additions() -> Payload {
    Payload::new(vec![
        Action::RegistryAdd {
            name: "dex".into(),
            package: Address::reserved(0x10),
            label: "v2".into(),
            expected: Some(Address::reserved(0x11)),
        },
        Action::ScheduleUpgrade {
            plan: molt_types::UpgradePlan {
                version: "0.2.0".into(),
                height: 100,
                binaries: [("linux-x86_64".to_string(), Digest([0xee; 32]))].into(),
            },
        },
    ])
}

const ADDITIONS: &str = "tests/fixtures/payload_v1_additions.hex";

/// Regenerate on purpose only: `MOLT_BLESS=1 cargo test -p molt-payload`.
#[test]
fn appended_variants_are_frozen_by_their_own_fixture() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(ADDITIONS);
    let bytes = additions().encode();
    if std::env::var_os("MOLT_BLESS").is_some() {
        std::fs::write(&path, hex::encode(&bytes) + "\n").unwrap();
    }
    let golden = std::fs::read_to_string(&path).unwrap();
    assert_eq!(hex::encode(&bytes), golden.trim());
    // Its variant index is the 9th: after NextStep, never before it.
    assert_eq!(
        bytes[2 + 4],
        8,
        "format u16, action count u32, then the index"
    );
    let first = borsh::to_vec(&additions().actions[0]).unwrap().len();
    assert_eq!(bytes[2 + 4 + first], 9, "then the 10th variant");
    let decoded = Payload::decode(&hex::decode(golden.trim()).unwrap(), 1 << 20).unwrap();
    assert_eq!(decoded, additions());
}

#[test]
fn an_action_set_permits_its_kinds_and_always_next_step() {
    let registry = ActionSet::of(&[8]);
    let add = &additions().actions[0];
    assert!(registry.permits(add));
    assert!(!registry.permits(&Action::EndEpoch));
    assert!(ActionSet::NONE.permits(&Action::NextStep { hash: Digest::ZERO }));
    assert!(!ActionSet::ALL.without(registry).permits(add));
    for action in sample().actions.iter().chain(additions().actions.iter()) {
        assert!(ActionSet::ALL.permits(action), "{}", action.kind());
        let encoded = borsh::to_vec(action).unwrap();
        assert_eq!(encoded[0], action.index(), "{}", action.kind());
    }
}

/// Regenerate on purpose only: `MOLT_BLESS=1 cargo test -p molt-payload`.
#[test]
fn the_encoding_is_frozen_by_the_golden_fixture() {
    let bytes = sample().encode();
    if std::env::var_os("MOLT_BLESS").is_some() {
        std::fs::write(fixture_path(), hex::encode(&bytes) + "\n").unwrap();
    }
    let golden = std::fs::read_to_string(fixture_path()).unwrap();
    assert_eq!(
        hex::encode(&bytes),
        golden.trim(),
        "the payload encoding changed: that is a consensus change (new variants go at the end)"
    );
    let decoded = Payload::decode(&hex::decode(golden.trim()).unwrap(), 1 << 20).unwrap();
    assert_eq!(decoded, sample());
}

#[test]
fn the_execution_hash_is_plain_sha3_of_the_bytes() {
    let p = sample();
    assert_eq!(p.execution_hash(), sha3_256(&p.encode()));
    assert_eq!(execution_hash(&p.encode()), p.execution_hash());
    // Known answer, so a change of hash function cannot pass unnoticed.
    let golden = std::fs::read_to_string(fixture_path()).unwrap();
    let bytes = hex::decode(golden.trim()).unwrap();
    assert_eq!(execution_hash(&bytes), p.execution_hash());
    assert_eq!(p.next_step(), Some(Digest([0xdd; 32])));
}

#[test]
fn one_byte_different_is_another_hash() {
    let mut bytes = sample().encode();
    let before = execution_hash(&bytes);
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    assert_ne!(execution_hash(&bytes), before);
}

#[test]
fn over_the_limit_is_refused_before_reading() {
    let bytes = sample().encode();
    assert_eq!(
        Payload::decode(&bytes, bytes.len() - 1),
        Err(PayloadError::TooLarge {
            size: bytes.len(),
            limit: bytes.len() - 1
        })
    );
}

#[test]
fn trailing_bytes_truncation_and_unknown_actions_are_malformed() {
    let mut bytes = sample().encode();
    bytes.push(0);
    assert!(matches!(
        Payload::decode(&bytes, 1 << 20),
        Err(PayloadError::Malformed { .. })
    ));
    let bytes = sample().encode();
    for cut in [2, 7, bytes.len() - 1] {
        assert!(matches!(
            Payload::decode(&bytes[..cut], 1 << 20),
            Err(PayloadError::Malformed { .. })
        ));
    }
    // format 1, one action, variant 200
    let unknown = [1u8, 0, 1, 0, 0, 0, 200];
    assert!(matches!(
        Payload::decode(&unknown, 1 << 20),
        Err(PayloadError::Malformed { .. })
    ));
    // A huge declared length does not allocate or panic.
    let huge = [1u8, 0, 0xff, 0xff, 0xff, 0xff];
    assert!(matches!(
        Payload::decode(&huge, 1 << 20),
        Err(PayloadError::Malformed { .. })
    ));
}

#[test]
fn shape_rules_are_typed_refusals() {
    let mut p = Payload::new(vec![Action::EndEpoch]);
    p.format = 2;
    assert_eq!(
        Payload::decode(&p.encode(), 1 << 20),
        Err(PayloadError::UnknownFormat {
            found: 2,
            expected: 1
        })
    );
    assert_eq!(
        Payload::decode(&Payload::new(vec![]).encode(), 1 << 20),
        Err(PayloadError::Empty)
    );
    let many = Payload::new(vec![Action::EndEpoch; MAX_ACTIONS + 1]);
    assert_eq!(
        Payload::decode(&many.encode(), 1 << 20),
        Err(PayloadError::TooManyActions {
            count: MAX_ACTIONS + 1,
            limit: MAX_ACTIONS
        })
    );
    let misplaced = Payload::new(vec![
        Action::NextStep { hash: Digest::ZERO },
        Action::EndEpoch,
    ]);
    assert_eq!(
        Payload::decode(&misplaced.encode(), 1 << 20),
        Err(PayloadError::NextStepNotLast { index: 0 })
    );
    let twice = Payload::new(vec![
        Action::NextStep { hash: Digest::ZERO },
        Action::NextStep { hash: Digest::ZERO },
    ]);
    assert_eq!(
        Payload::decode(&twice.encode(), 1 << 20),
        Err(PayloadError::NextStepNotLast { index: 0 })
    );
    let full = Payload::new(vec![Action::EndEpoch; MAX_ACTIONS]);
    assert!(Payload::decode(&full.encode(), 1 << 20).is_ok());
}

#[test]
fn random_bytes_never_panic() {
    // A fixed LCG: reproducible, no dependency.
    let mut x: u64 = 0x5eed;
    for len in 0..400usize {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 56) as u8
            })
            .collect();
        let _ = Payload::decode(&bytes, 1 << 20);
    }
}

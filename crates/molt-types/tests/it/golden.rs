//! Golden fixtures freeze every encoding. A change to any of these bytes is a
//! consensus change: regenerate only on purpose, with
//! `MOLT_BLESS=1 cargo test -p molt-types --test it golden`, and say why in
//! the CHANGELOG.

use borsh::BorshSerialize;
use molt_types::*;
use std::path::PathBuf;

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.hex"))
}

fn check<T: BorshSerialize>(name: &str, value: &T) {
    let actual = hex::encode(encode(value));
    let path = fixture_path(name);
    if std::env::var_os("MOLT_BLESS").is_some() {
        std::fs::write(&path, format!("{actual}\n")).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing fixture {}; run with MOLT_BLESS=1", path.display()));
    assert_eq!(
        actual,
        expected.trim(),
        "encoding of {name} changed; if deliberate, regenerate with MOLT_BLESS=1"
    );
}

fn key() -> SecretKey {
    SecretKey::from_seed([42; 32])
}

fn transaction() -> Transaction {
    Transaction {
        chain_id: ChainId::dev(),
        sender: key().address(),
        sequence_number: 7,
        gas_budget: 50_000,
        gas_price: 2,
        expiry_height: 1_000,
        payload: TransactionPayload::Transfer {
            to: Address::reserved(0x42),
            amount: 1_234_567,
        },
    }
}

fn header() -> BlockHeader {
    BlockHeader {
        chain_id: ChainId::dev(),
        height: 12,
        epoch: 3,
        parent: sha3_256(b"parent"),
        state_root: sha3_256(b"state"),
        receipts_root: receipts_root(&[Receipt {
            transaction_id: transaction().id(),
            status: ExecutionStatus::Success,
            gas_used: 21_000,
            events: vec![],
        }]),
        transactions_root: transactions_root(&[transaction().id()]),
        proposer: Address::reserved(0x10),
        timestamp_ms: 1_790_000_000_000,
    }
}

#[test]
fn golden_address() {
    check("address", &Address::reserved(1));
    check("address_from_key", &key().address());
}

#[test]
fn golden_digest() {
    check("digest", &sha3_256(b"molt"));
}

#[test]
fn golden_transaction() {
    check("transaction", &transaction());
    check("signed_transaction", &transaction().sign(&key()));
    check("transaction_id", &transaction().id());
}

#[test]
fn golden_payloads() {
    check(
        "payload_publish",
        &TransactionPayload::Publish {
            module: vec![0, 0x61, 0x73, 0x6d],
        },
    );
    check(
        "payload_call",
        &TransactionPayload::Call {
            package: Address::reserved(0x99),
            function: "increment".into(),
            args: vec![5, 0, 0, 0, 0, 0, 0, 0],
            coin: 250,
        },
    );
}

#[test]
fn golden_upgrade_payloads() {
    check(
        "payload_upgrade",
        &TransactionPayload::Upgrade {
            package: Address::reserved(0x99),
            module: vec![0, 0x61, 0x73, 0x6d],
            ticket: Some(TicketCall {
                package: Address::reserved(0x77),
                function: "authorize".into(),
                args: vec![1],
            }),
        },
    );
    check(
        "payload_cap_ops",
        &vec![
            TransactionPayload::RestrictUpgradePolicy {
                cap: Address::reserved(5),
                policy: UpgradePolicy::Additive,
            },
            TransactionPayload::MakeImmutable {
                cap: Address::reserved(5),
            },
            TransactionPayload::TransferUpgradeCap {
                cap: Address::reserved(5),
                to: Address::reserved(6),
            },
        ],
    );
    check("policies", &UpgradePolicy::ALL.to_vec());
}

#[test]
fn golden_block() {
    check("block_header", &header());
    check("block_id", &header().id());
    check(
        "block",
        &Block {
            header: header(),
            transactions: vec![transaction().sign(&key())],
        },
    );
}

#[test]
fn golden_receipt() {
    let ok = Receipt {
        transaction_id: transaction().id(),
        status: ExecutionStatus::Success,
        gas_used: 21_000,
        events: vec![Event {
            emitter: Address::reserved(2),
            name: "Transfer".into(),
            data: vec![1, 2, 3],
        }],
    };
    check("receipt_success", &ok);
    let failed = Receipt {
        transaction_id: transaction().id(),
        status: ExecutionStatus::Failure(FailureReason::Aborted {
            code: 3,
            message: "not the admin".into(),
        }),
        gas_used: 900,
        events: vec![],
    };
    check("receipt_failure", &failed);
    check(
        "failure_reasons",
        &vec![
            FailureReason::OutOfGas { budget: 10 },
            FailureReason::InsufficientBalance {
                needed: 5,
                available: 4,
            },
            FailureReason::Trap(TrapCode::Unreachable),
            FailureReason::Trap(TrapCode::Other),
            FailureReason::InvalidModule(ModuleRejection::Invalid),
            FailureReason::InvalidModule(ModuleRejection::MissingDependency {
                original_id: Address::reserved(6),
                version: 2,
            }),
            FailureReason::UnknownPackage {
                package: Address::reserved(5),
            },
            FailureReason::UnknownFunction {
                package: Address::reserved(5),
                function: "f".into(),
            },
            FailureReason::NotCallable {
                function: "f".into(),
                reason: NotCallableReason::Internal,
            },
            FailureReason::InvalidArguments {
                function: "f".into(),
            },
            FailureReason::LimitExceeded(LimitKind::Memory {
                requested_pages: 17,
                limit_pages: 16,
            }),
            FailureReason::UpgradeRejected(UpgradeRejection::NotCapHolder {
                cap: Address::reserved(7),
                holder: Address::reserved(8),
            }),
            FailureReason::UpgradeRejected(UpgradeRejection::TicketCallFailed {
                package: Address::reserved(9),
                function: "authorize".into(),
                reason: Box::new(FailureReason::OutOfGas { budget: 3 }),
            }),
            FailureReason::IncompatibleUpgrade {
                policy: UpgradePolicy::Compatible,
                violations: vec![ViolationRecord {
                    code: "E0101".into(),
                    declaration: "public fn add".into(),
                }],
            },
            FailureReason::ConstructorRejected {
                code: 7,
                message: "no".into(),
            },
            FailureReason::CapDenied(CapDenial::WouldLoosen {
                from: UpgradePolicy::Additive,
                to: UpgradePolicy::Compatible,
            }),
        ],
    );
}

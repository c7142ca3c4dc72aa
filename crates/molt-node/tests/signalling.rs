//! Proposer signalling on a running dev node (docs/canonical-deployments.md):
//! the validator's blocks carry a signal for the hash set at start, the
//! admin endpoint changes and clears it between blocks, another account's
//! signal is refused with the package's error, and a round winner with
//! quorum becomes a stakeholders' proposal.

use molt_node::admin::{SignalChange, signal};
use molt_node::{Node, NodeConfig, NodeHandle};
use molt_runtime::{SIGNALLING_PACKAGE, STAKEHOLDERS_PACKAGE, dev_key};
use molt_types::{
    ChainId, Digest, ExecutionStatus, FailureReason, SecretKey, SignedTransaction, Transaction,
    TransactionPayload, codec,
};
use std::time::{Duration, Instant};

mod support;
use support::include;

/// The genesis rounds: 10 blocks each, quorum 6.
const ROUND: u64 = 10;

fn view_bytes(
    node: &NodeHandle,
    package: &molt_types::Address,
    function: &str,
    args: Vec<u8>,
) -> Vec<u8> {
    let q = node.shared.runtime.query().unwrap();
    q.view(package, function, &args, 50_000_000).unwrap().0
}

type Round = (u64, Option<(Digest, u64)>, Option<u64>);

fn round(node: &NodeHandle, number: u64) -> Round {
    let bytes = view_bytes(node, &SIGNALLING_PACKAGE, "round", codec::encode(&number));
    codec::decode("view result", &bytes, 1 << 16).unwrap()
}

fn signals(node: &NodeHandle, round: u64, hash: Digest) -> u64 {
    let bytes = view_bytes(
        node,
        &SIGNALLING_PACKAGE,
        "signals",
        codec::encode(&(round, hash)),
    );
    codec::decode("view result", &bytes, 1 << 16).unwrap()
}

fn wait_height(node: &NodeHandle, height: u64) {
    let t = Instant::now();
    while node.shared.runtime.height() < height {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "stuck below {height}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn call(key: &SecretKey, seq: u64, function: &str, args: Vec<u8>) -> SignedTransaction {
    Transaction {
        chain_id: ChainId::dev(),
        sender: key.address(),
        sequence_number: seq,
        gas_budget: 50_000_000,
        gas_price: 1,
        expiry_height: 1_000_000,
        payload: TransactionPayload::Call {
            package: SIGNALLING_PACKAGE,
            function: function.into(),
            args,
            coin: 0,
        },
    }
    .sign(key)
}

fn aborted(r: &molt_runtime::ReceiptRecord) -> Option<u32> {
    match &r.receipt.status {
        ExecutionStatus::Failure(FailureReason::Aborted { code, .. }) => Some(*code),
        _ => None,
    }
}

#[test]
fn a_validators_blocks_carry_its_signal_and_a_winner_becomes_a_proposal() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let a = Digest([0xa1; 32]);
    let b = Digest([0xb2; 32]);
    let mut config = NodeConfig::dev(dir.path().to_path_buf(), 0, Duration::from_millis(15));
    config.signal = Some(a);
    let node = rt.block_on(Node::start(config)).unwrap();
    let admin = dir.path().join("admin.sock");
    assert_eq!(
        signal(&admin, SignalChange::Keep, Duration::from_secs(2)).unwrap(),
        Some(a)
    );

    // Round 1 is heights 10..=19, every one proposed by this validator.
    wait_height(&node, 2 * ROUND);
    assert_eq!(signals(&node, 1, a), ROUND, "one signal in every block");
    assert_eq!(round(&node, 1).1, Some((a, ROUND)));

    // Switched through the admin endpoint: later blocks signal b.
    assert_eq!(
        signal(&admin, SignalChange::Set(b), Duration::from_secs(2)).unwrap(),
        Some(b)
    );
    let switched = node.shared.runtime.height();
    let next_round = switched / ROUND + 2;
    wait_height(&node, (next_round + 1) * ROUND);
    assert_eq!(signals(&node, next_round, b), ROUND);
    assert_eq!(signals(&node, next_round, a), 0);

    // That round's winner (b, 10 signals of quorum 6) becomes a proposal,
    // once.
    let user = dev_key(0);
    let submit = |seq: u64, round: u64| {
        include(
            &node,
            call(&user, seq, "submit_round_winner", codec::encode(&round)),
        )
    };
    let r = submit(0, next_round);
    assert_eq!(
        r.receipt.status,
        ExecutionStatus::Success,
        "{:?}",
        r.receipt.status
    );
    assert_eq!(round(&node, next_round).2, Some(0));
    // `Option<Proposal>`: Some, then id, execution hash and proposer first.
    let p = view_bytes(
        &node,
        &STAKEHOLDERS_PACKAGE,
        "proposal",
        codec::encode(&0u64),
    );
    assert_eq!(p[0], 1, "the proposal exists");
    assert_eq!(&p[1..9], &0u64.to_le_bytes());
    assert_eq!(&p[9..41], b.as_bytes());
    assert_eq!(&p[41..73], SIGNALLING_PACKAGE.as_bytes());
    assert_eq!(aborted(&submit(1, next_round)), Some(5), "twice");

    // Cleared: a whole round without signals.
    assert_eq!(
        signal(&admin, SignalChange::Clear, Duration::from_secs(2)).unwrap(),
        None
    );
    let cleared = node.shared.runtime.height() / ROUND + 2;
    wait_height(&node, (cleared + 1) * ROUND);
    assert_eq!(round(&node, cleared).1, None);
    assert_eq!(aborted(&submit(2, cleared)), Some(6), "no quorum");

    // A signal from an account that did not propose the block is refused.
    let r = include(&node, call(&user, 3, "signal", codec::encode(&b)));
    assert_eq!(aborted(&r), Some(1), "{:?}", r.receipt.status);

    // Round 1 had quorum, but its lifetime (5 rounds) is over.
    wait_height(&node, 7 * ROUND);
    assert_eq!(aborted(&submit(4, 1)), Some(4));
    rt.block_on(node.stop()).unwrap();
}

//! A protocol upgrade proposed on chain (DESIGN.md 4): on a running dev
//! node, the validator's proposal (a transaction to the `protocol`
//! framework package) is its vote; with all of the power behind it the plan
//! is scheduled, the chain state holds it, and this binary (older than the
//! plan) halts at the height, ready, with the plan file written. A second
//! proposal for a later height while that plan is ahead is refused.

use molt_node::admin::{AdminState, query_status};
use molt_node::halt::read_plan_file;
use molt_node::{Node, NodeConfig, NodeHandle};
use molt_runtime::{PROTOCOL_PACKAGE, dev_validator_key};
use molt_types::{
    ChainId, Digest, ExecutionStatus, FailureReason, SecretKey, SignedTransaction, Transaction,
    TransactionPayload, codec,
};
use std::time::{Duration, Instant};

mod support;
use support::{equal_validators, free_port, include, validator_network};

fn propose(key: &SecretKey, seq: u64, version: &str, height: u64) -> SignedTransaction {
    let binaries = vec![("linux-x86_64".to_string(), Digest([0x42; 32]))];
    Transaction {
        chain_id: ChainId::dev(),
        sender: key.address(),
        sequence_number: seq,
        gas_budget: 50_000_000,
        gas_price: 1,
        expiry_height: 1_000_000,
        payload: TransactionPayload::Call {
            package: PROTOCOL_PACKAGE,
            function: "propose".into(),
            args: codec::encode(&(version.to_string(), height, binaries)),
            coin: 0,
        },
    }
    .sign(key)
}

#[test]
fn the_validators_proposal_schedules_the_plan_and_the_node_halts_at_its_height() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = NodeConfig::dev(dir.path().to_path_buf(), 0, Duration::from_millis(20));
    let node = rt.block_on(Node::start(config)).unwrap();
    let key = dev_validator_key();
    let height = node.shared.runtime.height() + 400;

    let r = include(&node, propose(&key, 0, "9.0.0", height));
    assert_eq!(
        r.receipt.status,
        ExecutionStatus::Success,
        "{:?}",
        r.receipt.status
    );
    let names: Vec<&str> = r.receipt.events.iter().map(|e| e.name.as_str()).collect();
    assert!(names.contains(&"PlanAccepted"), "{names:?}");
    let plan = node
        .shared
        .runtime
        .upgrade_plan()
        .unwrap()
        .expect("scheduled");
    assert_eq!((plan.version.as_str(), plan.height), ("9.0.0", height));
    assert_eq!(plan.binaries["linux-x86_64"], Digest([0x42; 32]));

    // The earliest accepted height wins: a later one is refused.
    let r = include(&node, propose(&key, 1, "9.1.0", height + 10));
    assert!(
        matches!(
            &r.receipt.status,
            ExecutionStatus::Failure(FailureReason::Aborted { code: 5, .. })
        ),
        "{:?}",
        r.receipt.status
    );

    // This binary is older than 9.0.0: it stops at the height, ready.
    let admin = dir.path().join("admin.sock");
    let t = Instant::now();
    let status = loop {
        if let Ok(s) = query_status(&admin, Duration::from_secs(2))
            && s.state == AdminState::Ready
        {
            break s;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "never ready");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.latest_block.height, height);
    assert_eq!(status.plan, Some(plan.clone()));
    let file = read_plan_file(dir.path()).unwrap().unwrap();
    assert_eq!(file.plan, plan);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        node.shared.runtime.height(),
        height,
        "nothing past the height"
    );
    rt.block_on(node.stop()).unwrap();
}

/// Four validators of equal power on real sockets: two proposals are not
/// enough (2 of 4), the third schedules the plan (3 of 4), and all four
/// halt at its height on the same block.
#[test]
fn three_of_four_validators_propose_and_all_four_halt_at_the_height() {
    let keys: Vec<SecretKey> = (0..4u8)
        .map(|i| SecretKey::from_seed([i + 120; 32]))
        .collect();
    let mut genesis = equal_validators(&keys);
    for k in &keys {
        genesis.accounts.push((k.address(), 1_000_000_000_000));
    }
    let addrs: Vec<_> = keys.iter().map(|_| free_port()).collect();
    let dirs: Vec<_> = keys.iter().map(|_| tempfile::tempdir().unwrap()).collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let nodes: Vec<NodeHandle> = (0..4)
        .map(|i| {
            let mut config =
                NodeConfig::dev(dirs[i].path().to_path_buf(), 0, Duration::from_millis(100));
            config.genesis = genesis.clone();
            config.network = Some(validator_network(&keys, &addrs, i));
            rt.block_on(Node::start(config)).unwrap()
        })
        .collect();
    let t = Instant::now();
    while nodes[0].shared.runtime.height() < 2 {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the network never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let height = nodes[0].shared.runtime.height() + 120;
    for (i, key) in keys.iter().take(2).enumerate() {
        let r = include(&nodes[i], propose(key, 0, "9.0.0", height));
        assert_eq!(
            r.receipt.status,
            ExecutionStatus::Success,
            "{:?}",
            r.receipt.status
        );
    }
    assert_eq!(
        nodes[0].shared.runtime.upgrade_plan().unwrap(),
        None,
        "2 of 4"
    );
    let r = include(&nodes[2], propose(&keys[2], 0, "9.0.0", height));
    assert_eq!(
        r.receipt.status,
        ExecutionStatus::Success,
        "{:?}",
        r.receipt.status
    );
    let t = Instant::now();
    let plan = loop {
        if let Some(p) = nodes[0].shared.runtime.upgrade_plan().unwrap() {
            break p;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "never scheduled");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!((plan.version.as_str(), plan.height), ("9.0.0", height));
    let t = Instant::now();
    let ready: Vec<_> = dirs
        .iter()
        .map(|d| {
            loop {
                if let Ok(s) = query_status(&d.path().join("admin.sock"), Duration::from_secs(2))
                    && s.state == AdminState::Ready
                {
                    break s;
                }
                assert!(
                    t.elapsed() < Duration::from_secs(90),
                    "not every node got ready"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        })
        .collect();
    let halt = ready[0].halt.clone().unwrap();
    assert_eq!(halt.height, height);
    for (node, s) in nodes.iter().zip(&ready) {
        assert_eq!(s.halt.as_ref(), Some(&halt), "the same block everywhere");
        assert_eq!(node.shared.runtime.height(), height);
    }
    for node in nodes {
        rt.block_on(node.stop()).unwrap();
    }
}

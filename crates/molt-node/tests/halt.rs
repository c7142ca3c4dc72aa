//! The halt at an upgrade plan's height, over real sockets and files: the
//! node commits the block at the height, writes the plan file and a
//! checkpoint, says `ready` on its admin socket and produces nothing more;
//! a restart of the same binary stays halted without a second checkpoint;
//! the plan's release goes on from the next height. On four validators:
//! every one halts at the same height and none votes past it; three
//! restarted on the new release finalize past it while the fourth,
//! restarted on the old release, stays at the height, ready.

use molt_node::admin::{AdminState, query_status};
use molt_node::halt::{read_checkpoint, read_plan_file};
use molt_node::{Node, NodeConfig, NodeHandle, NodeVersion};
use molt_types::{SecretKey, UpgradePlan, sha3_256};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

mod support;
use support::{equal_validators, free_port, validator_network};

fn plan(height: u64) -> UpgradePlan {
    UpgradePlan {
        version: "0.2.0".into(),
        height,
        binaries: [("linux-x86_64".to_string(), sha3_256(b"molt 0.2.0"))].into(),
    }
}

fn start(rt: &tokio::runtime::Runtime, dir: &Path, release: &str) -> NodeHandle {
    let mut config = NodeConfig::dev(dir.to_path_buf(), 0, Duration::from_millis(20));
    config.version = NodeVersion {
        release: release.into(),
        ..NodeVersion::of_this_crate()
    };
    config.schedule_upgrade = Some(plan(5));
    rt.block_on(Node::start(config)).unwrap()
}

fn wait_ready(dir: &Path) -> molt_node::admin::AdminStatus {
    let t = Instant::now();
    loop {
        if let Ok(s) = query_status(&dir.join("admin.sock"), Duration::from_secs(2))
            && s.state == AdminState::Ready
        {
            return s;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "never ready");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_node_halts_at_the_height_ready_with_plan_and_checkpoint() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = start(&rt, dir.path(), "0.1.0");
    let status = wait_ready(dir.path());
    assert_eq!(status.plan, Some(plan(5)));
    let halt = status.halt.clone().unwrap();
    assert_eq!(halt.height, 5);
    assert_eq!(status.latest_block.height, 5);
    let root = node
        .shared
        .runtime
        .block(5)
        .unwrap()
        .unwrap()
        .header
        .state_root;
    assert_eq!(halt.state_root, root);
    // No block past the height, even after several block times.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(node.shared.runtime.height(), 5);

    let file = read_plan_file(dir.path()).unwrap().unwrap();
    assert_eq!((file.plan, file.halt.clone()), (plan(5), halt.clone()));
    assert_eq!(file.halted_by.release, "0.1.0");
    let cp = read_checkpoint(dir.path(), 5).unwrap().unwrap();
    assert_eq!(cp.state_root, root);
    assert_eq!(Some(cp.clone()), status.checkpoint);
    let copy = molt_store::Store::open(&dir.path().join(&cp.file), Default::default()).unwrap();
    assert_eq!(copy.latest_root().unwrap(), Some(root));
    drop(copy);
    rt.block_on(node.stop()).unwrap();
    assert!(!dir.path().join("admin.sock").exists());

    // The same binary again: halted at once, the checkpoint is not retaken.
    let node = start(&rt, dir.path(), "0.1.0");
    let again = wait_ready(dir.path());
    assert_eq!(again.checkpoint, Some(cp));
    assert_eq!(node.shared.runtime.height(), 5);
    rt.block_on(node.stop()).unwrap();

    // The plan's release continues from height 6 on the same data.
    let node = start(&rt, dir.path(), "0.2.0");
    let t = Instant::now();
    while node.shared.runtime.height() < 8 {
        assert!(t.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(10));
    }
    let b6 = node.shared.runtime.block(6).unwrap().unwrap();
    assert_eq!(b6.header.parent, halt.block_id);
    let s = query_status(&dir.path().join("admin.sock"), Duration::from_secs(2)).unwrap();
    assert_eq!(s.state, AdminState::Running);
    assert_eq!(s.version.release, "0.2.0");
    rt.block_on(node.stop()).unwrap();
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn four_validators_halt_at_the_same_height_and_only_the_new_release_goes_past_it() {
    const H: u64 = 6;
    let keys: Vec<SecretKey> = (0..4u8)
        .map(|i| SecretKey::from_seed([i + 90; 32]))
        .collect();
    let genesis = equal_validators(&keys);
    let addrs: Vec<SocketAddr> = keys.iter().map(|_| free_port()).collect();
    let dirs: Vec<_> = keys.iter().map(|_| tempfile::tempdir().unwrap()).collect();
    let config = |i: usize, release: &str| {
        let mut config =
            NodeConfig::dev(dirs[i].path().to_path_buf(), 0, Duration::from_millis(150));
        config.genesis = genesis.clone();
        config.version = NodeVersion {
            release: release.into(),
            ..NodeVersion::of_this_crate()
        };
        // Every validator is given the same plan: it goes into the first
        // block they all execute.
        config.schedule_upgrade = Some(plan(H));
        config.network = Some(validator_network(&keys, &addrs, i));
        config
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let nodes: Vec<NodeHandle> = (0..4)
        .map(|i| rt.block_on(Node::start(config(i, "0.1.0"))).unwrap())
        .collect();
    let t = Instant::now();
    while !nodes.iter().all(|n| n.shared.runtime.height() >= H) {
        let seen: Vec<_> = nodes
            .iter()
            .map(|n| {
                let plan = n.shared.runtime.upgrade_plan().unwrap();
                (n.shared.runtime.height(), plan.map(|p| p.height))
            })
            .collect();
        assert!(
            t.elapsed() < Duration::from_secs(90),
            "the height never reached everywhere: (height, plan) {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let statuses: Vec<_> = dirs.iter().map(|d| wait_ready(d.path())).collect();
    // Leader timeouts pass while the network is halted: still no block
    // past the height anywhere, and every node halted on the same block.
    std::thread::sleep(Duration::from_millis(1_500));
    let halt = statuses[0].halt.clone().unwrap();
    assert_eq!(halt.height, H);
    for (node, status) in nodes.iter().zip(&statuses) {
        assert_eq!(node.shared.runtime.height(), H);
        assert_eq!(status.halt.as_ref(), Some(&halt));
        assert_eq!(
            node.shared.runtime.block(H).unwrap().unwrap().header.id(),
            halt.block_id
        );
    }
    for node in nodes {
        rt.block_on(node.stop()).unwrap();
    }

    // Three on the plan's release (a quorum of four), one still on the old.
    let old = rt.block_on(Node::start(config(3, "0.1.0"))).unwrap();
    let new: Vec<NodeHandle> = (0..3)
        .map(|i| rt.block_on(Node::start(config(i, "0.2.0"))).unwrap())
        .collect();
    wait_for(
        "three blocks past the height",
        Duration::from_secs(90),
        || new.iter().all(|n| n.shared.runtime.height() >= H + 3),
    );
    let next = new[0].shared.runtime.block(H + 1).unwrap().unwrap();
    assert_eq!(next.header.parent, halt.block_id);
    // The old binary refused to go on: still at the height, still ready,
    // still running (not crashed by the blocks the others finalized).
    let s = query_status(&dirs[3].path().join("admin.sock"), Duration::from_secs(2)).unwrap();
    assert_eq!(s.state, AdminState::Ready);
    assert_eq!(old.shared.runtime.height(), H);
    for node in new {
        rt.block_on(node.stop()).unwrap();
    }
    rt.block_on(old.stop()).unwrap();
}

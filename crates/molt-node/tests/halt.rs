//! The halt at an upgrade plan's height, over real sockets and files: the
//! node commits the block at the height, writes the plan file and a
//! checkpoint, says `ready` on its admin socket and produces nothing more;
//! a restart of the same binary stays halted without a second checkpoint;
//! the plan's release goes on from the next height.

use molt_node::admin::{AdminState, query_status};
use molt_node::halt::{read_checkpoint, read_plan_file};
use molt_node::{Node, NodeConfig, NodeHandle, NodeVersion};
use molt_types::{UpgradePlan, sha3_256};
use std::path::Path;
use std::time::{Duration, Instant};

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

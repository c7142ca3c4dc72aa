//! The framework upgrade ceremony end to end, with a real `molt node --dev`
//! process and the `molt` CLI (docs/governance.md walks the same steps):
//!
//! 1. a copy of `framework/` gets release 2: `system` adds a public
//!    function `release`, and `governance` adds an entry function
//!    `announce_release` that calls it, so step 2 depends on step 1;
//! 2. `molt framework upgrade --end-epoch` builds both reproducibly and
//!    writes two chained steps (system first);
//! 3. `molt gov propose`, the dev validator's `molt gov vote`, a resolve of
//!    step 2 before step 1 (refused locally, nothing sent), step 1, a
//!    replay of step 1 (refused), step 2;
//! 4. the transaction after the last resolve runs the new governance code,
//!    which calls the new system code; the epoch advanced; the node is the
//!    same process; heights have no gap and no block interval during the
//!    ceremony exceeds two block times.

mod support;

use serde_json::Value;
use std::path::Path;
use support::*;

/// Block time of the node, in milliseconds.
const BLOCK_MS: u64 = 1000;

/// Copies the repository's `framework/` to `to` with its path dependencies
/// made absolute, and applies release 2's changes.
fn framework_release_2(to: &Path) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let from = repo.join("framework");
    // The workspace manifest, and every member's manifest and sources.
    fn copy_tree(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let (src, dst) = (entry.path(), to.join(entry.file_name()));
            if entry.file_type().unwrap().is_dir() {
                copy_tree(&src, &dst);
            } else {
                std::fs::copy(&src, &dst).unwrap();
            }
        }
    }
    std::fs::create_dir_all(to).unwrap();
    for file in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(from.join(file), to.join(file)).unwrap();
    }
    for entry in std::fs::read_dir(&from).unwrap() {
        let dir = entry.unwrap().path();
        if dir.join("Cargo.toml").is_file() {
            let member = to.join(dir.file_name().unwrap());
            std::fs::create_dir_all(&member).unwrap();
            std::fs::copy(dir.join("Cargo.toml"), member.join("Cargo.toml")).unwrap();
            copy_tree(&dir.join("src"), &member.join("src"));
        }
    }
    // The repository's framework build directory: its dependencies are
    // built already (builds are staged, so the directory the sources live
    // in does not change what they build to).
    let target = from.join("target");
    std::fs::create_dir_all(&target).unwrap();
    std::os::unix::fs::symlink(target.canonicalize().unwrap(), to.join("target")).unwrap();
    let crates = repo.join("crates").canonicalize().unwrap();
    let manifest = to.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(text.contains("path = \"../crates/"));
    let text = text.replace(
        "path = \"../crates/",
        &format!("path = \"{}/", crates.display()),
    );
    std::fs::write(&manifest, text).unwrap();
    edit(
        &to.join("system/src/lib.rs"),
        "    /// The framework release (1 for the genesis framework).",
        "    /// Added in release 2: the framework release, for other programs.\n    \
         #[public]\n    fn release() -> u64 {\n        FRAMEWORK_VERSION\n    }\n\n    \
         /// The framework release (1 for the genesis framework).",
    );
    edit(
        &to.join("system/src/lib.rs"),
        "pub const FRAMEWORK_VERSION: u64 = 1;",
        "pub const FRAMEWORK_VERSION: u64 = 2;",
    );
    edit(
        &to.join("governance/src/lib.rs"),
        "    #[event]\n    pub struct Proposed {",
        "    /// Added in release 2.\n    #[event]\n    pub struct SystemRelease {\n        \
         pub release: u64,\n    }\n\n    #[event]\n    pub struct Proposed {",
    );
    edit(
        &to.join("governance/src/lib.rs"),
        "    /// The id the next proposal will get.",
        "    /// Added in release 2: announces the system release, read through\n    \
         /// `system::release` (which step 1 adds).\n    #[entry]\n    fn announce_release() {\n        \
         let release: u64 = molt_sdk::call::call(&Address::reserved(1), \"release\", &());\n        \
         SystemRelease { release }.emit();\n    }\n\n    /// The id the next proposal will get.",
    );
}

fn edit(path: &Path, from: &str, to: &str) {
    let s = std::fs::read_to_string(path).unwrap();
    assert!(s.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, s.replacen(from, to, 1)).unwrap();
}

fn height(node: &DevNode) -> u64 {
    node.ok(&["query", "block", "latest"])["height"]
        .as_u64()
        .unwrap()
}

fn epoch(node: &DevNode) -> u64 {
    node.ok(&["view", "0x1", "epoch"])["decoded"][0]
        .as_u64()
        .unwrap()
}

fn wait_for_height(node: &DevNode, h: u64) {
    let start = std::time::Instant::now();
    while height(node) < h {
        assert!(start.elapsed().as_secs() < 60, "height {h} not reached");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn text(v: &Value) -> String {
    v.to_string()
}

#[test]
fn a_two_step_framework_upgrade_runs_on_a_live_node_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut node = DevNode::start_with_block_time(&home, free_port(), BLOCK_MS);
    let pid = node.child.as_ref().unwrap().id();

    let fw = dir.path().join("framework");
    framework_release_2(&fw);
    let out = dir.path().join("out");
    let (fw_s, out_s) = (fw.to_str().unwrap(), out.to_str().unwrap());
    let written = node.ok(&[
        "framework",
        "upgrade",
        "--output-dir",
        out_s,
        "--framework-local-dir",
        fw_s,
        "--end-epoch",
    ]);
    let steps = written["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{written}");
    assert_eq!(steps[0]["package"], "system");
    assert_eq!(steps[1]["package"], "governance");
    assert_eq!(steps[0]["next_step"], steps[1]["execution_hash"]);
    assert!(steps[1]["next_step"].is_null());
    assert_eq!(steps[1]["actions"][1], "end_epoch", "{written}");
    for s in steps {
        assert_eq!(s["compatibility"][0]["compatible"], true, "{s}");
    }
    let step1 = out.join("framework_upgrade/1-system");
    let step2 = out.join("framework_upgrade/2-governance");
    let (step1_s, step2_s) = (step1.to_str().unwrap(), step2.to_str().unwrap());
    let readme = std::fs::read_to_string(step1.join("README.md")).unwrap();
    assert!(readme.contains("compatible"), "{readme}");

    // The ceremony: the blocks from here to the end are checked below.
    let start = height(&node);
    let epoch_before = epoch(&node);
    let proposed = node.ok(&[
        "gov",
        "propose",
        "--proposal-script-dir",
        step1_s,
        "--metadata-url",
        "https://example.org/framework-release-2.md",
    ]);
    let id = proposed["proposal_id"].as_u64().unwrap();
    let id_s = id.to_string();
    // The track's deposit went with the proposal, as a system transfer.
    assert_eq!(proposed["deposit"], 1_000_000, "{proposed}");
    let moved = proposed["receipt"]["events"].as_array().unwrap();
    assert!(
        moved.iter().any(|e| e["name"] == "Transfer"),
        "no deposit transfer in {proposed}"
    );
    let held = node.ok(&["gov", "show", &id_s]);
    assert_eq!(held["deposit_status"], "Held", "{held}");
    // A later step cannot be proposed: one vote approves the whole chain.
    let (_, err) = node
        .molt(&[
            "gov",
            "propose",
            "--proposal-script-dir",
            step2_s,
            "--metadata-url",
            "x",
        ])
        .unwrap_err();
    assert!(err.contains("propose the first step"), "{err}");

    let voted = node.ok(&[
        "gov",
        "vote",
        "--proposal-id",
        &id_s,
        "--from",
        "dev-validator",
    ]);
    assert_eq!(voted["proposal"]["state"], "Accepted", "{voted}");
    let shown = node.ok(&["gov", "show", &id_s]);
    assert_eq!(shown["proposal"]["state"], "Accepted");
    assert_eq!(shown["yes_needed"], 1);
    assert_eq!(shown["deposit_status"], "Refunded", "{shown}");
    wait_for_height(
        &node,
        voted["proposal"]["decided_height"].as_u64().unwrap() + 1,
    );

    // Step 2 first: explained and refused before anything is sent.
    let (code, err) = node
        .molt(&[
            "gov",
            "resolve",
            "--proposal-script-dir",
            step2_s,
            "--proposal-id",
            &id_s,
        ])
        .unwrap_err();
    assert_eq!(code, 1);
    assert!(err.contains("resolve that first"), "{err}");
    assert!(err.contains("1-system"), "{err}");

    let r1 = node.ok(&[
        "gov",
        "resolve",
        "--proposal-script-dir",
        step1_s,
        "--proposal-id",
        &id_s,
    ]);
    assert_eq!(r1["proposal"]["state"], "Executing", "{r1}");
    assert_eq!(r1["proposal"]["pending_hash"], steps[1]["execution_hash"]);
    let (_, err) = node
        .molt(&[
            "gov",
            "resolve",
            "--proposal-script-dir",
            step1_s,
            "--proposal-id",
            &id_s,
        ])
        .unwrap_err();
    assert!(err.contains("already resolved"), "{err}");

    let r2 = node.ok(&[
        "gov",
        "resolve",
        "--proposal-script-dir",
        step2_s,
        "--proposal-id",
        &id_s,
    ]);
    assert_eq!(r2["proposal"]["state"], "Executed", "{r2}");
    let last_resolve = r2["receipt"]["height"].as_u64().unwrap();

    // The next transaction runs governance release 2, which calls system
    // release 2's new function.
    let announced = node.ok(&["call", "0x2", "announce_release"]);
    let events = announced["receipt"]["events"].as_array().unwrap();
    let e = events
        .iter()
        .find(|e| e["name"] == "SystemRelease")
        .unwrap_or_else(|| panic!("no SystemRelease event: {announced}"));
    assert_eq!(e["data"], "0x0200000000000000", "{announced}");
    assert!(announced["receipt"]["height"].as_u64().unwrap() > last_resolve);
    assert_eq!(node.ok(&["view", "0x1", "framework_version"])["decoded"], 2);
    assert_eq!(epoch(&node), epoch_before + 1, "the epoch did not advance");
    let listed = node.ok(&["gov", "list"]);
    assert_eq!(listed["count"], id + 1);
    assert_eq!(listed["proposals"][0]["state"], "Executed");

    // The same process throughout, and the chain kept its cadence.
    let end = height(&node);
    assert!(node.child.as_mut().unwrap().try_wait().unwrap().is_none());
    assert_eq!(node.child.as_ref().unwrap().id(), pid);
    let mut previous: Option<(u64, String, u64)> = None;
    let mut worst = 0;
    for h in start..=end {
        let b = node.ok(&["query", "block", &h.to_string()]);
        assert_eq!(b["height"], h, "{b}");
        let t = b["timestamp_ms"].as_u64().unwrap_or_else(|| panic!("{b}"));
        if let Some((ph, pid, pt)) = &previous {
            assert_eq!(*ph + 1, h);
            assert_eq!(text(&b["parent"]), *pid, "block {h} does not follow {ph}");
            worst = worst.max(t - pt);
        }
        previous = Some((h, text(&b["id"]), t));
    }
    assert!(
        worst <= 2 * BLOCK_MS,
        "a block interval of {worst} ms during the ceremony (block time {BLOCK_MS} ms)"
    );
    drop(node);
}

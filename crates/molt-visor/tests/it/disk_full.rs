//! A real full disk at the halt: `<data>/checkpoints` is a small tmpfs, so
//! the checkpoint's copy of the store fails with ENOSPC. The node must say
//! `halted` with the error (never `ready`), the visor must not switch, the
//! state at the halt height must not move, and once there is space the
//! node's retry takes the checkpoint and the upgrade goes on by itself.
//!
//! Mounting needs root (CAP_SYS_ADMIN); where `mount` is refused the test
//! says so and passes without running.

use crate::*;
use molt_node::admin::AdminState;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A tmpfs mounted at a directory, unmounted when dropped (also when the
/// test panics).
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` (mount's syntax, `64k`) at `dir`; `Err`
    /// with mount's message if it is refused.
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Tmpfs(dir.to_path_buf()))
    }

    fn resize(&self, size: &str) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "remount: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy, so a process still holding a file there cannot keep it.
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_at_the_checkpoint_holds_the_upgrade_until_there_is_space() {
    let b = binaries();
    let height = 8;
    let s = Setup::new(height, "0.2.0", &sha3_hex(&b.v2));
    assert!(s.visor(&["add-version", "0.2.0", b.v2.to_str().unwrap()]).0);
    // The store of a young dev chain is ~560 KiB: 64 KiB cannot hold it.
    let fs = match Tmpfs::mount(&s.data.join("checkpoints"), "64k") {
        Ok(fs) => fs,
        Err(e) => {
            println!(
                "SKIPPED: cannot mount a tmpfs for the full disk ({e}); run as root to test it"
            );
            return;
        }
    };
    let mut visor = s.spawn_run();

    // Halted with the error, not ready, for as long as the disk is full.
    let mut halted = None;
    wait_for(
        &s,
        "halted with the disk full",
        Duration::from_secs(90),
        || {
            halted = s.status().filter(|st| st.state == AdminState::Halted);
            halted.is_some()
        },
    );
    let halted = halted.unwrap();
    let error = halted.error.clone().unwrap_or_default();
    assert!(error.contains("No space left on device"), "{error}");
    let halt = halted.halt.clone().expect("the halt point");
    assert_eq!(halt.height, height);
    assert!(halted.checkpoint.is_none());
    // Two retries later: still halted, nothing switched, nothing half-made.
    std::thread::sleep(molt_node::halt::RETRY_INTERVAL * 2 + Duration::from_millis(500));
    let st = s.status().expect("the node answers while halted");
    assert_eq!(st.state, AdminState::Halted, "{st:?}");
    assert_eq!(st.latest_block.height, height);
    assert_eq!(s.current(), "0.1.0");
    assert!(
        molt_node::halt::read_checkpoint(&s.data, height)
            .unwrap()
            .is_none()
    );
    let log = s.log_text();
    assert!(
        log.contains(&format!(
            "molt 0.1.0 is halted at height {height} but not ready"
        )),
        "{log}"
    );
    assert!(log.contains("No space left on device"), "{log}");
    assert!(
        log.contains("nothing is switched without a checkpoint"),
        "{log}"
    );
    assert!(!log.contains("switched current"), "{log}");

    // Space: the node's next retry takes the checkpoint, the visor swaps.
    fs.resize("64m");
    wait_for(
        &s,
        "the upgrade after freeing space",
        Duration::from_secs(120),
        || {
            s.status().is_some_and(|st| {
                st.version.release == "0.2.0" && st.latest_block.height > height + 1
            })
        },
    );
    assert_eq!(s.current(), "0.2.0");
    let record = molt_node::halt::read_checkpoint(&s.data, height)
        .unwrap()
        .expect("the checkpoint, once there was space");
    assert_eq!(record.state_root, halt.state_root);
    let log = s.log_text();
    assert!(log.contains("switched current to versions/0.2.0"), "{log}");

    stop_within(&mut visor, Duration::from_secs(20));
    // The state at the halt height is the halt block's, and the checkpoint
    // opens at it.
    let store = molt_store::Store::open(&s.data.join("state.redb"), Default::default()).unwrap();
    assert_eq!(store.root(height).unwrap(), halt.state_root);
    drop(store);
    let cp = molt_store::Store::open(&s.data.join(&record.file), Default::default()).unwrap();
    assert_eq!(cp.latest_version(), Some(height));
    assert_eq!(cp.latest_root().unwrap(), Some(halt.state_root));
    drop(cp);
    drop(fs);
}

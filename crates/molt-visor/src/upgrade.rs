//! One upgrade: verify the plan's binary, run the pre-upgrade hook, switch
//! `current`; and, when the new version cannot start, put the data back at
//! the halt height.

use crate::binary::{checksum, platform, reported_version};
use crate::home::{Home, VisorConfig, sync_dir};
use anyhow::{Context, Result, anyhow, bail};
use molt_node::halt::{CheckpointRecord, STATE_FILE};
use molt_types::UpgradePlan;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Checks that the plan's version is installed, its checksum is the
/// plan's for this platform, and it reports the plan's version.
pub fn verify(home: &Home, plan: &UpgradePlan) -> Result<()> {
    let v = &plan.version;
    let bin = home.binary(v);
    if !bin.is_file() {
        bail!(
            "molt {v} is not installed ({} is missing): install it with `molt-visor add-version {v} PATH`, then `molt-visor run` resumes the upgrade",
            bin.display()
        );
    }
    let platform = platform();
    let expected = plan.binary_for(&platform).ok_or_else(|| {
        anyhow!(
            "the plan gives no checksum for this platform ({platform}); it has {}",
            plan.binaries.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    })?;
    let found = checksum(&bin)?;
    if &found != expected {
        bail!(
            "checksum mismatch: {} has SHA3-256 {found}, the plan requires {expected} for {platform}; install the right binary with `molt-visor add-version {v} PATH --force`, then `molt-visor run` resumes the upgrade",
            bin.display()
        );
    }
    let reported = reported_version(&bin)?;
    let same = match (
        semver::Version::parse(&reported.release),
        semver::Version::parse(v),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => reported.release == *v,
    };
    if !same {
        bail!(
            "wrong version: {} reports release {} but the plan needs {v}; install molt {v} with `molt-visor add-version {v} PATH --force`, then `molt-visor run` resumes the upgrade",
            bin.display(),
            reported.release
        );
    }
    Ok(())
}

/// Runs the pre-upgrade hook, if any, with Cosmovisor's exit codes.
pub fn pre_upgrade(
    config: &VisorConfig,
    plan: &UpgradePlan,
    halt_height: u64,
    log: &dyn Fn(&str),
) -> Result<()> {
    let Some(hook) = &config.pre_upgrade else {
        return Ok(());
    };
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        log(&format!(
            "running the pre-upgrade hook {} (attempt {attempt})",
            hook.display()
        ));
        let status = Command::new(hook)
            .arg(&plan.version)
            .arg(&config.data_dir)
            .arg(halt_height.to_string())
            .env("MOLT_VISOR_UPGRADE_VERSION", &plan.version)
            .env("MOLT_VISOR_DATA_DIR", &config.data_dir)
            .env("MOLT_VISOR_HALT_HEIGHT", halt_height.to_string())
            .status()
            .with_context(|| format!("cannot run the pre-upgrade hook {}", hook.display()))?;
        match status.code() {
            Some(0) => return Ok(()),
            Some(1) => {
                log("the pre-upgrade hook has nothing to do for this upgrade (exit 1)");
                return Ok(());
            }
            Some(31) if attempt <= config.pre_upgrade_max_retries => {
                log("the pre-upgrade hook asks to be run again (exit 31)");
                std::thread::sleep(Duration::from_millis(config.restart_delay_ms));
            }
            Some(31) => bail!(
                "the pre-upgrade hook {} asked to be run again {} times (exit 31), more than pre_upgrade_max_retries = {}; nothing was switched: fix what it waits for, then `molt-visor run` resumes the upgrade",
                hook.display(),
                attempt,
                config.pre_upgrade_max_retries
            ),
            _ => bail!(
                "the pre-upgrade hook {} failed ({status}); nothing was switched and the data is at the halt height: fix it, then `molt-visor run` resumes the upgrade",
                hook.display()
            ),
        }
    }
}

/// Where the store at `path` is: its latest height and root, or `None`
/// if it does not open with this build's store. (Bytes alone would not do:
/// closing the store rewrites its header.)
fn store_tip(path: &Path) -> Option<(Option<u64>, Option<molt_types::Digest>)> {
    let store = molt_store::Store::open(path, molt_store::StoreConfig::default()).ok()?;
    Some((store.latest_version(), store.latest_root().ok().flatten()))
}

/// What [`restore`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restored {
    /// The store is still at the halt height and root: nothing to do.
    Unchanged,
    /// The store had changed: it was moved to `kept` and the checkpoint
    /// copied back.
    Restored { kept: std::path::PathBuf },
}

/// Puts the store back at the checkpoint if it is no longer at the halt
/// height and root (or does not open), keeping the changed store beside it
/// (operator data is never deleted).
///
/// Only `state.redb` is put back; `<data>/consensus/` is left as it is, on
/// purpose (docs/protocol-upgrades.md, "What a checkpoint covers"):
/// simplex's journal holds this validator's votes, and forgetting a vote
/// lets it vote twice in a view; marshal's archives hold only blocks the
/// network finalized, which a node at the halt height applies again or
/// skips. What must hold is that the store is not behind marshal's
/// acknowledged height, and that is so exactly when the new version did
/// not finalize a block past the halt (it acknowledges a block only after
/// committing it). So a store that opens at a height past the halt is not
/// rolled back: the new version ran with the network past the upgrade, a
/// checkpoint of the height before would put this node behind its own
/// consensus, and [`RestoreError::PastHalt`] says what to do instead.
pub fn restore(data_dir: &Path, checkpoint: &CheckpointRecord, tag: &str) -> Result<Restored> {
    let live = data_dir.join(STATE_FILE);
    let saved = data_dir.join(&checkpoint.file);
    if !saved.is_file() {
        bail!(
            "the checkpoint {} is missing; the data directory was not touched",
            saved.display()
        );
    }
    if live.is_file()
        && let Some((height, root)) = store_tip(&live)
    {
        if height == Some(checkpoint.height) && root == Some(checkpoint.state_root) {
            return Ok(Restored::Unchanged);
        }
        if let Some(height) = height.filter(|h| *h > checkpoint.height) {
            return Err(RestoreError::PastHalt {
                store: live,
                height,
                halt: checkpoint.height,
            }
            .into());
        }
    }
    let kept = data_dir.join(format!("{STATE_FILE}.failed-{tag}"));
    if live.exists() {
        std::fs::rename(&live, &kept)
            .with_context(|| format!("cannot move {} aside", live.display()))?;
    }
    let tmp = data_dir.join(format!(".{STATE_FILE}.restoring"));
    std::fs::copy(&saved, &tmp)
        .with_context(|| format!("cannot copy the checkpoint {}", saved.display()))?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, &live)?;
    sync_dir(data_dir)?;
    Ok(Restored::Restored { kept })
}

/// Why [`restore`] left the data as it is.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(
        "{store} is at height {height}, past the halt height {halt}: the new version finalized blocks with the network, so its consensus data is past the checkpoint too; the store was not rolled back (that would put it behind the blocks this node acknowledged). Nothing was changed: fix the new version's start (its log, its run.toml) or install a fixed build of the plan's release with `molt-visor add-version VERSION PATH --force`, then `molt-visor run`"
    )]
    PastHalt {
        store: std::path::PathBuf,
        height: u64,
        halt: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use molt_store::{AuxBatch, Store, StoreConfig, WriteBatch};

    fn commit(store: &Store, version: u64) -> molt_types::Digest {
        let mut w = WriteBatch::new();
        w.put(format!("k{version}").into_bytes(), b"v".to_vec());
        store.commit(version, &w, &AuxBatch::default()).unwrap()
    }

    /// A store at `height` with its checkpoint taken there, in `data`.
    fn halted(data: &Path, height: u64) -> (Store, CheckpointRecord) {
        let store = Store::open(&data.join(STATE_FILE), StoreConfig::default()).unwrap();
        let mut root = commit(&store, 0);
        for v in 1..=height {
            root = commit(&store, v);
        }
        std::fs::create_dir_all(data.join("checkpoints/3")).unwrap();
        let file = std::path::PathBuf::from("checkpoints/3").join(STATE_FILE);
        let cp = store.checkpoint(&data.join(&file)).unwrap();
        let record = CheckpointRecord {
            format: molt_node::halt::FILE_FORMAT,
            height,
            state_root: root,
            file,
            bytes: cp.bytes,
            method: cp.method.as_str().into(),
            elapsed_ms: 0,
        };
        (store, record)
    }

    #[test]
    fn a_store_at_the_halt_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (store, record) = halted(dir.path(), 3);
        drop(store);
        assert_eq!(
            restore(dir.path(), &record, "t").unwrap(),
            Restored::Unchanged
        );
    }

    #[test]
    fn a_damaged_store_is_kept_aside_and_the_checkpoint_put_back() {
        let dir = tempfile::tempdir().unwrap();
        let (store, record) = halted(dir.path(), 3);
        drop(store);
        std::fs::write(dir.path().join(STATE_FILE), b"half a migration").unwrap();
        let Restored::Restored { kept } = restore(dir.path(), &record, "t").unwrap() else {
            panic!("not restored");
        };
        assert_eq!(std::fs::read(kept).unwrap(), b"half a migration");
        let tip = store_tip(&dir.path().join(STATE_FILE)).unwrap();
        assert_eq!(tip, (Some(3), Some(record.state_root)));
    }

    #[test]
    fn a_store_past_the_halt_is_not_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let (store, record) = halted(dir.path(), 3);
        let root4 = commit(&store, 4);
        drop(store);
        let e = restore(dir.path(), &record, "t").unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("at height 4, past the halt height 3"), "{msg}");
        assert!(msg.contains("Nothing was changed"), "{msg}");
        // Untouched: still at 4, nothing moved aside.
        let tip = store_tip(&dir.path().join(STATE_FILE)).unwrap();
        assert_eq!(tip, (Some(4), Some(root4)));
        assert!(!dir.path().join(format!("{STATE_FILE}.failed-t")).exists());
    }
}

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

/// Whether the store at `path` is still exactly the halt's: it opens with
/// this build's store, at the halt height, with the halt's state root.
/// (Bytes alone would not do: closing the store rewrites its header.)
fn still_at_halt(path: &Path, checkpoint: &CheckpointRecord) -> bool {
    match molt_store::Store::open(path, molt_store::StoreConfig::default()) {
        Ok(store) => {
            store.latest_version() == Some(checkpoint.height)
                && store.latest_root().ok().flatten() == Some(checkpoint.state_root)
        }
        Err(_) => false,
    }
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
pub fn restore(data_dir: &Path, checkpoint: &CheckpointRecord, tag: &str) -> Result<Restored> {
    let live = data_dir.join(STATE_FILE);
    let saved = data_dir.join(&checkpoint.file);
    if !saved.is_file() {
        bail!(
            "the checkpoint {} is missing; the data directory was not touched",
            saved.display()
        );
    }
    if live.is_file() && still_at_halt(&live, checkpoint) {
        return Ok(Restored::Unchanged);
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

//! The node's side of a protocol-upgrade halt (DESIGN.md 4).
//!
//! When the runtime says this binary may not go past the scheduled plan's
//! height ([`molt_runtime::Runtime::halted_for_upgrade`]: the block at the
//! height is committed and this release is older than the plan's), the
//! producer stops proposing and, in this order:
//!
//! 1. writes [`PlanFile`] to `<data>/upgrade-plan.json` atomically
//!    (temporary file, fsync, rename, fsync of the directory): a reader
//!    sees the previous file or the new one, whole (cosmos-sdk#8964);
//! 2. takes a checkpoint of the state store into
//!    `<data>/checkpoints/<height>/state.redb` ([`molt_store::Store::checkpoint`]:
//!    copy-on-write where the filesystem can) and records it in
//!    `checkpoint.json` beside it, atomically too; a checkpoint already
//!    recorded for this height and state root is kept (a restart at the
//!    halt does not take another);
//! 3. reports `ready` with the plan, the halt point and the checkpoint on
//!    the admin endpoint (module `admin`) and waits to be stopped, serving
//!    reads meanwhile.
//!
//! The checkpoint covers `state.redb` and not `<data>/consensus/`, on
//! purpose: everything a restore at the halt height needs is the store.
//! The engine keeps running while halted (its journals change meanwhile,
//! so a copy of them would not be one moment), simplex's journal holds the
//! validator's votes and must never go back (a forgotten vote can be cast
//! twice), and marshal acknowledges a block only after the store commits
//! it, so marshal is never ahead of a store put back at the halt height as
//! long as the new version did not commit a block past it; the visor's
//! restore refuses to roll back a store that did (docs/protocol-upgrades.md,
//! "What a checkpoint covers").
//!
//! If step 1 or 2 fails (a full disk), the node reports `halted` with the
//! error instead of `ready` and tries again every [`RETRY_INTERVAL`]: a
//! supervisor never switches binaries without a checkpoint. The file
//! formats carry a `format` number; readers refuse other numbers.

use crate::producer::{NodeError, Shared};
use molt_store::CheckpointMethod;
use molt_types::{BlockId, Digest, UpgradePlan};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The plan file in the data directory.
pub const PLAN_FILE: &str = "upgrade-plan.json";
/// Where checkpoints are kept in the data directory, one folder per height.
pub const CHECKPOINTS_DIR: &str = "checkpoints";
/// The checkpoint's record, in its folder.
pub const CHECKPOINT_RECORD: &str = "checkpoint.json";
/// The state store's file in the data directory (and in a checkpoint).
pub const STATE_FILE: &str = "state.redb";
/// The format number of [`PlanFile`] and [`CheckpointRecord`].
pub const FILE_FORMAT: u32 = 1;
/// How often a halted node retries a failed plan write or checkpoint.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(2);

/// The last block before the halt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HaltPoint {
    pub height: u64,
    pub block_id: BlockId,
    pub state_root: Digest,
    pub timestamp_ms: u64,
}

/// `<data>/upgrade-plan.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFile {
    pub format: u32,
    pub plan: UpgradePlan,
    pub halt: HaltPoint,
    /// The binary that halted.
    pub halted_by: crate::NodeVersion,
}

/// `<data>/checkpoints/<height>/checkpoint.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointRecord {
    pub format: u32,
    pub height: u64,
    pub state_root: Digest,
    /// The checkpoint's copy of the store, relative to the data directory.
    pub file: PathBuf,
    pub bytes: u64,
    /// `reflink` or `copy`.
    pub method: String,
    pub elapsed_ms: u64,
}

/// What the node is doing about upgrades, for the admin endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UpgradeState {
    /// Producing blocks (a plan may be scheduled; see the status's `plan`).
    #[default]
    Running,
    /// Halted at the plan's height, but the plan file or the checkpoint
    /// could not be written yet.
    Halted {
        plan: UpgradePlan,
        halt: HaltPoint,
        error: String,
    },
    /// Halted with the plan written and a checkpoint taken: ready to be
    /// replaced by the plan's release.
    Ready {
        plan: UpgradePlan,
        halt: HaltPoint,
        checkpoint: CheckpointRecord,
    },
}

/// Why a plan or checkpoint file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum HaltFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path} is damaged ({reason}); start the node's current version: at the halt height it rewrites the file from chain state"
    )]
    Damaged { path: PathBuf, reason: String },
    #[error(
        "{path} has format {found}, this build reads format {FILE_FORMAT}; use the matching molt-visor"
    )]
    Format { path: PathBuf, found: u32 },
}

/// Writes `value` as JSON to `path` atomically: a temporary file beside
/// it, fsync, rename over `path`, fsync of the directory.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp"));
    let bytes = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn read_json<T: for<'de> Deserialize<'de>>(
    path: &Path,
    format: impl Fn(&T) -> u32,
) -> Result<Option<T>, HaltFileError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(HaltFileError::Read {
                path: path.into(),
                source,
            });
        }
    };
    // Format first, so a newer file is reported as such, not as damaged.
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes)
        && let Some(found) = v.get("format").and_then(|f| f.as_u64())
        && found != u64::from(FILE_FORMAT)
    {
        return Err(HaltFileError::Format {
            path: path.into(),
            found: found.try_into().unwrap_or(u32::MAX),
        });
    }
    let value: T = serde_json::from_slice(&bytes).map_err(|e| HaltFileError::Damaged {
        path: path.into(),
        reason: e.to_string(),
    })?;
    debug_assert_eq!(format(&value), FILE_FORMAT);
    Ok(Some(value))
}

/// Reads `<data_dir>/upgrade-plan.json`; `None` if there is none.
pub fn read_plan_file(data_dir: &Path) -> Result<Option<PlanFile>, HaltFileError> {
    read_json(&data_dir.join(PLAN_FILE), |p: &PlanFile| p.format)
}

/// The folder of the checkpoint taken at `height`.
pub fn checkpoint_dir(data_dir: &Path, height: u64) -> PathBuf {
    data_dir.join(CHECKPOINTS_DIR).join(height.to_string())
}

/// Reads the record of the checkpoint taken at `height`; `None` if none is
/// complete.
pub fn read_checkpoint(
    data_dir: &Path,
    height: u64,
) -> Result<Option<CheckpointRecord>, HaltFileError> {
    read_json(
        &checkpoint_dir(data_dir, height).join(CHECKPOINT_RECORD),
        |c: &CheckpointRecord| c.format,
    )
}

/// Steps 1 and 2 of the module doc, once.
fn prepare(
    shared: &Shared,
    data_dir: &Path,
    plan: &UpgradePlan,
    halt: &HaltPoint,
) -> Result<CheckpointRecord, String> {
    let file = PlanFile {
        format: FILE_FORMAT,
        plan: plan.clone(),
        halt: halt.clone(),
        halted_by: shared.version.clone(),
    };
    let plan_path = data_dir.join(PLAN_FILE);
    if read_plan_file(data_dir).ok().flatten().as_ref() != Some(&file) {
        write_json_atomic(&plan_path, &file)
            .map_err(|e| format!("writing {}: {e}", plan_path.display()))?;
    }
    if let Ok(Some(record)) = read_checkpoint(data_dir, halt.height)
        && record.state_root == halt.state_root
        && data_dir.join(&record.file).is_file()
    {
        return Ok(record);
    }
    let dir = checkpoint_dir(data_dir, halt.height);
    let rel = PathBuf::from(CHECKPOINTS_DIR)
        .join(halt.height.to_string())
        .join(STATE_FILE);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    // An unrecorded copy is from an attempt that did not finish: redo it.
    let _ = std::fs::remove_file(dir.join(STATE_FILE));
    let cp = shared
        .runtime
        .store()
        .checkpoint(&data_dir.join(&rel))
        .map_err(|e| e.to_string())?;
    let record = CheckpointRecord {
        format: FILE_FORMAT,
        height: halt.height,
        state_root: halt.state_root,
        file: rel,
        bytes: cp.bytes,
        method: match cp.method {
            CheckpointMethod::Reflink => "reflink".into(),
            CheckpointMethod::Copy => "copy".into(),
        },
        elapsed_ms: cp.elapsed.as_millis() as u64,
    };
    let path = dir.join(CHECKPOINT_RECORD);
    if let Err(e) = write_json_atomic(&path, &record) {
        let _ = std::fs::remove_file(data_dir.join(&record.file));
        return Err(format!("writing {}: {e}", path.display()));
    }
    Ok(record)
}

/// The halt: prepares (retrying) and then waits for the node to be stopped.
pub(crate) async fn hold(
    shared: Arc<Shared>,
    data_dir: PathBuf,
    plan: UpgradePlan,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), NodeError> {
    let latest = shared.runtime.latest_block()?;
    let halt = HaltPoint {
        height: latest.header.height,
        block_id: latest.header.id(),
        state_root: latest.header.state_root,
        timestamp_ms: latest.header.timestamp_ms,
    };
    tracing::warn!(
        height = halt.height,
        version = %plan.version,
        "halted for a protocol upgrade: this binary is {}, blocks after {} need {}",
        shared.version.release,
        halt.height,
        plan.version
    );
    loop {
        let ready = matches!(*shared.upgrade_state(), UpgradeState::Ready { .. });
        if !ready {
            let (s, d, p, h) = (
                Arc::clone(&shared),
                data_dir.clone(),
                plan.clone(),
                halt.clone(),
            );
            let result = tokio::task::spawn_blocking(move || prepare(&s, &d, &p, &h))
                .await
                .map_err(|e| NodeError::Task(e.to_string()))?;
            let state = match result {
                Ok(checkpoint) => {
                    tracing::info!(
                        height = halt.height,
                        method = %checkpoint.method,
                        bytes = checkpoint.bytes,
                        elapsed_ms = checkpoint.elapsed_ms,
                        "ready for the upgrade: plan written, checkpoint taken"
                    );
                    UpgradeState::Ready {
                        plan: plan.clone(),
                        halt: halt.clone(),
                        checkpoint,
                    }
                }
                Err(error) => {
                    tracing::error!(
                        "halted but not ready: {error}; retrying in {RETRY_INTERVAL:?}"
                    );
                    UpgradeState::Halted {
                        plan: plan.clone(),
                        halt: halt.clone(),
                        error,
                    }
                }
            };
            *shared.upgrade_state() = state;
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY_INTERVAL) => {}
            _ = shutdown.changed() => return Ok(()),
        }
        if *shutdown.borrow() {
            return Ok(());
        }
    }
}

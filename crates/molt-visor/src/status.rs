//! `<home>/status.json` (what `molt-visor status` shows) and
//! `<home>/upgrade.json` (an upgrade between its switch and the new
//! version's first block past the halt height).

use crate::home::{Home, write_atomic};
use molt_node::halt::{CheckpointRecord, HaltPoint};
use molt_types::UpgradePlan;
use serde::{Deserialize, Serialize};

/// What the visor is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisorState {
    Starting,
    Running,
    Upgrading,
    Restarting,
    Stopped,
    Failed,
}

/// A completed upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeDone {
    pub from: String,
    pub to: String,
    pub halt_height: u64,
    /// From the halt block's time to the first block of the new version.
    pub downtime_ms: u64,
    /// The same in block times (hundredths: 250 = 2.5 block times).
    pub downtime_block_times_x100: u64,
}

/// `<home>/status.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisorStatus {
    pub state: VisorState,
    pub visor_pid: u32,
    pub current_version: Option<String>,
    pub node_pid: Option<u32>,
    /// The plan in chain state, as the node last reported it.
    pub plan: Option<UpgradePlan>,
    /// The node said `ready` for the plan.
    pub ready: bool,
    pub restarts: u32,
    pub last_error: Option<String>,
    pub last_upgrade: Option<UpgradeDone>,
}

impl VisorStatus {
    pub fn new() -> Self {
        VisorStatus {
            state: VisorState::Starting,
            visor_pid: std::process::id(),
            current_version: None,
            node_pid: None,
            plan: None,
            ready: false,
            restarts: 0,
            last_error: None,
            last_upgrade: None,
        }
    }

    pub fn load(home: &Home) -> Option<VisorStatus> {
        serde_json::from_slice(&std::fs::read(home.status_path()).ok()?).ok()
    }

    /// Saves it; a failure is reported but never stops the node.
    pub fn save(&self, home: &Home) {
        let bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        if let Err(e) = write_atomic(&home.status_path(), &bytes) {
            eprintln!("molt-visor: cannot save the status: {e:#}");
        }
    }
}

impl Default for VisorStatus {
    fn default() -> Self {
        Self::new()
    }
}

/// `<home>/upgrade.json`: the switch happened; until the new version is
/// past `halt.height`, a failure to start it is an upgrade failure, and
/// the checkpoint is what the data is restored to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeInProgress {
    pub from: String,
    pub to: String,
    pub plan: UpgradePlan,
    pub halt: HaltPoint,
    pub checkpoint: CheckpointRecord,
    pub block_time_ms: u64,
}

impl UpgradeInProgress {
    pub fn load(home: &Home) -> anyhow::Result<Option<UpgradeInProgress>> {
        let path = home.upgrade_path();
        match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
            Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| {
                anyhow::anyhow!(
                    "{} is damaged ({e}); it is rewritten at the next switch: remove it, then `molt-visor run`",
                    path.display()
                )
            }),
        }
    }

    pub fn save(&self, home: &Home) -> anyhow::Result<()> {
        write_atomic(
            &home.upgrade_path(),
            &serde_json::to_vec_pretty(self).unwrap_or_default(),
        )
    }

    pub fn clear(home: &Home) {
        let _ = std::fs::remove_file(home.upgrade_path());
        let _ = crate::home::sync_dir(&home.root);
    }
}

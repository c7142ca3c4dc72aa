//! The admin endpoint: a UNIX socket in the data directory
//! (`<data>/admin.sock`, mode 0600), apart from the public RPC, for the
//! node's supervisor (`molt-visor`).
//!
//! # Protocol
//!
//! A client connects, sends one line and reads one line of JSON; then the
//! node closes the connection. The requests:
//!
//! - `status`: an [`AdminStatus`];
//! - `signal`: this validator's proposer signal, `{"signal": "0x<hash>"}`
//!   or `{"signal": null}` (module `signal`);
//! - `signal 0x<64 hex digits>`: signal for that execution hash from the
//!   next block this node proposes on; `signal none`: stop signalling.
//!   The answer is the signal now in force, as for `signal`.
//!
//! Any other request is answered `{"error": ...}`. A request must arrive within
//! [`REQUEST_TIMEOUT`] and fit in [`MAX_REQUEST_BYTES`].
//!
//! `state` is `running` (producing; `plan` shows a scheduled upgrade before
//! its height), `halted` (at the plan's height, plan file or checkpoint not
//! written yet; `error` says why) or `ready` (halted, plan file written,
//! checkpoint taken: the supervisor may stop this binary and start the
//! plan's release). See the `halt` module.
//!
//! A stale socket file left by a killed node is replaced at start; any other
//! file at that path is never removed: the node refuses to start.

use crate::halt::{CheckpointRecord, HaltPoint, UpgradeState};
use crate::producer::Shared;
use crate::version::NodeVersion;
use molt_types::{Digest, UpgradePlan};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

/// The admin socket's name in the data directory.
pub const ADMIN_SOCKET: &str = "admin.sock";
/// How long the node waits for a client's request line.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest request line.
pub const MAX_REQUEST_BYTES: u64 = 256;
/// The most of an answer [`query_status`] reads (a plan is small).
const MAX_ANSWER_BYTES: u64 = 16 << 20;

/// Whether the node produces, is halted, or is ready to be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminState {
    Running,
    Halted,
    Ready,
}

/// The latest committed block, in brief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockSummary {
    pub height: u64,
    pub timestamp_ms: u64,
    pub state_root: Digest,
}

/// The answer to `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminStatus {
    pub state: AdminState,
    pub version: NodeVersion,
    pub latest_block: BlockSummary,
    /// The first block this node process committed, once it has: after an
    /// upgrade, the first block of the new binary.
    pub first_block: Option<BlockSummary>,
    pub block_time_ms: u64,
    /// The plan in chain state, if any (scheduled or past).
    pub plan: Option<UpgradePlan>,
    pub halt: Option<HaltPoint>,
    pub checkpoint: Option<CheckpointRecord>,
    pub error: Option<String>,
}

/// The node's status now.
pub fn status(shared: &Shared, block_time: Duration) -> Result<AdminStatus, String> {
    let latest = shared.runtime.latest_block().map_err(|e| e.to_string())?;
    let plan = shared.runtime.upgrade_plan().map_err(|e| e.to_string())?;
    let upgrade = shared.upgrade_state().clone();
    let first_block = shared
        .runtime
        .block(shared.started_at_height + 1)
        .map_err(|e| e.to_string())?
        .map(|b| BlockSummary {
            height: b.header.height,
            timestamp_ms: b.header.timestamp_ms,
            state_root: b.header.state_root,
        });
    let (state, halt, checkpoint, error) = match upgrade {
        UpgradeState::Running => (AdminState::Running, None, None, None),
        UpgradeState::Halted { halt, error, .. } => {
            (AdminState::Halted, Some(halt), None, Some(error))
        }
        UpgradeState::Ready {
            halt, checkpoint, ..
        } => (AdminState::Ready, Some(halt), Some(checkpoint), None),
    };
    Ok(AdminStatus {
        state,
        version: shared.version.clone(),
        latest_block: BlockSummary {
            height: latest.header.height,
            timestamp_ms: latest.header.timestamp_ms,
            state_root: latest.header.state_root,
        },
        first_block,
        block_time_ms: block_time.as_millis() as u64,
        plan,
        halt,
        checkpoint,
        error,
    })
}

/// A running admin endpoint; removes its socket file when stopped.
#[derive(Debug)]
pub struct AdminServer {
    path: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl AdminServer {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops serving and removes the socket file. When this returns, the
    /// accept loop and every connection it was answering have ended and
    /// dropped their share of the node's state (a `status` being computed
    /// on a blocking thread finishes that read first).
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Binds the socket at `path` and serves it until stopped.
pub(crate) fn serve(
    path: PathBuf,
    shared: Arc<Shared>,
    block_time: Duration,
) -> std::io::Result<AdminServer> {
    if let Ok(meta) = std::fs::symlink_metadata(&path) {
        if !meta.file_type().is_socket() {
            return Err(std::io::Error::other(format!(
                "{} exists and is not a socket; move it away (the admin endpoint needs that path)",
                path.display()
            )));
        }
        std::fs::remove_file(&path)?;
    }
    let listener = tokio::net::UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    let task = tokio::spawn(async move {
        // Connections live in this set, so aborting the accept loop also
        // aborts every answer in flight and drops its share of the state.
        let mut connections = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let shared = Arc::clone(&shared);
                    connections.spawn(async move {
                        let _ = answer(stream, &shared, block_time).await;
                    });
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    });
    Ok(AdminServer { path, task })
}

async fn answer(
    stream: tokio::net::UnixStream,
    shared: &Arc<Shared>,
    block_time: Duration,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = tokio::io::BufReader::new(read.take(MAX_REQUEST_BYTES));
    match tokio::time::timeout(REQUEST_TIMEOUT, reader.read_line(&mut line)).await {
        Ok(Ok(_)) => {}
        _ => return Ok(()),
    }
    let doc = match line.trim() {
        "status" => {
            let s = Arc::clone(shared);
            let status = tokio::task::spawn_blocking(move || status(&s, block_time))
                .await
                .map_err(std::io::Error::other)?;
            match status {
                Ok(s) => serde_json::to_value(s).map_err(std::io::Error::other)?,
                Err(e) => {
                    serde_json::json!({ "error": format!("the node's state could not be read: {e}") })
                }
            }
        }
        "signal" => signal_answer(shared),
        other if other.starts_with("signal ") => {
            let arg = other["signal ".len()..].trim();
            if arg == "none" {
                *crate::producer::lock(&shared.proposer_signal) = None;
                tracing::info!("proposer signal cleared");
                signal_answer(shared)
            } else {
                match arg.parse::<Digest>() {
                    Ok(hash) => {
                        *crate::producer::lock(&shared.proposer_signal) = Some(hash);
                        tracing::info!(%hash, "proposer signal set");
                        signal_answer(shared)
                    }
                    Err(e) => serde_json::json!({
                        "error": format!("`{arg}` is not an execution hash (0x and 64 hex digits) or `none`: {e}")
                    }),
                }
            }
        }
        other => serde_json::json!({
            "error": format!("unknown request `{other}`; the requests are `status`, `signal`, `signal 0x<hash>` and `signal none`")
        }),
    };
    let mut bytes = serde_json::to_vec(&doc).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    write.write_all(&bytes).await?;
    write.shutdown().await
}

/// Why the admin endpoint could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("no node answers at {path}: {source}")]
    Unreachable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the node at {path} answered something unreadable: {reason}")]
    BadAnswer { path: PathBuf, reason: String },
}

/// Asks the node at the socket `path` for its status (blocking, for
/// supervisors), waiting at most `timeout` for each step.
pub fn query_status(path: &Path, timeout: Duration) -> Result<AdminStatus, AdminError> {
    let value = request(path, "status", timeout)?;
    serde_json::from_value(value).map_err(|e| AdminError::BadAnswer {
        path: path.into(),
        reason: e.to_string(),
    })
}

fn signal_answer(shared: &Shared) -> serde_json::Value {
    let signal = *crate::producer::lock(&shared.proposer_signal);
    serde_json::json!({ "signal": signal })
}

/// What [`signal`] asks the node to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalChange {
    /// Only read the signal in force.
    Keep,
    /// Signal for this execution hash from the next proposed block.
    Set(Digest),
    /// Stop signalling.
    Clear,
}

/// Reads or changes the proposer signal of the node serving `path`;
/// returns the signal in force afterwards.
pub fn signal(
    path: &Path,
    change: SignalChange,
    timeout: Duration,
) -> Result<Option<Digest>, AdminError> {
    let line = match change {
        SignalChange::Keep => "signal".to_string(),
        SignalChange::Set(hash) => format!("signal {hash}"),
        SignalChange::Clear => "signal none".to_string(),
    };
    let value = request(path, &line, timeout)?;
    serde_json::from_value(value.get("signal").cloned().unwrap_or_default()).map_err(|e| {
        AdminError::BadAnswer {
            path: path.into(),
            reason: e.to_string(),
        }
    })
}

/// Sends one request line and reads the one-line JSON answer; an
/// `{"error": ...}` answer is an [`AdminError::BadAnswer`].
fn request(path: &Path, line: &str, timeout: Duration) -> Result<serde_json::Value, AdminError> {
    let unreachable = |source| AdminError::Unreachable {
        path: path.into(),
        source,
    };
    let mut stream = std::os::unix::net::UnixStream::connect(path).map_err(unreachable)?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(unreachable)?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(unreachable)?;
    stream
        .write_all(format!("{line}\n").as_bytes())
        .map_err(unreachable)?;
    let mut line = String::new();
    BufReader::new(std::io::Read::take(stream, MAX_ANSWER_BYTES))
        .read_line(&mut line)
        .map_err(unreachable)?;
    let value: serde_json::Value =
        serde_json::from_str(&line).map_err(|e| AdminError::BadAnswer {
            path: path.into(),
            reason: e.to_string(),
        })?;
    // A refusal is `{"error": "…"}` alone; a status carries an `error`
    // field too (a halted node's), next to its state: that is an answer.
    if let Some(error) = value
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.get("error"))
        .and_then(|e| e.as_str())
    {
        return Err(AdminError::BadAnswer {
            path: path.into(),
            reason: error.into(),
        });
    }
    Ok(value)
}

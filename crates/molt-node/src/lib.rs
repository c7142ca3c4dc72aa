//! The Molt node: block production, mempool and JSON-RPC.
//!
//! Blocks come from the consensus engine (`molt_consensus`, Commonware
//! simplex; module `network`): a network of validators, or in dev mode a
//! network of one, paced at one block per `block_time`. Without network
//! settings a single producer proposes and finalizes every `block_time`.
//! Node files (TOML config, JSON genesis, key files) are read by module
//! `files`. State,
//! blocks and receipts live in one embedded store; on restart the node
//! resumes from the last committed block. Transactions accepted into the
//! mempool are journaled in the data directory and re-admitted after a
//! crash (module `journal`).
//!
//! JSON-RPC 2.0 is served over HTTP/1.1 and WebSocket on one loopback port
//! (default [`DEFAULT_RPC_PORT`]); `rpc.discover` returns the OpenRPC
//! document (`openrpc.json`) that describes every method. The transport
//! (module `server`) bounds connections, subscriptions and the time a
//! client may hold a connection without using it ([`RpcConfig`]);
//! `molt_nodeStatus` reports the live counts and the node's version.
//! Module `telemetry` logs one event per finalized block (target
//! `molt::block`, with its timings).
//!
//! Protocol upgrades (DESIGN.md 4): when block `H` of a scheduled plan is
//! finalized and this binary is older than the plan's release, the node
//! stops its consensus engine (it never proposes or votes for a block past
//! `H`), writes the plan file and a checkpoint, and says `ready` on its
//! admin endpoint, a UNIX socket apart from the public RPC (modules
//! [`halt`] and [`admin`]).

pub mod admin;
mod dashboard;
mod files;
pub mod halt;
mod journal;
mod mempool;
mod network;
mod producer;
mod rpc;
mod server;
pub mod signal;
mod status;
mod subscriptions;
mod telemetry;
mod version;
mod ws_only;

pub use dashboard::DASHBOARD_PATH;
pub use files::{
    FileError, GenesisFile, MAX_BLOCK_TIME_MS, NodeFile, key_file_json, load_genesis, load_key,
    load_node_config,
};
pub use journal::{JOURNAL_FILE, JournalError, MempoolJournal, Recovered};
pub use mempool::{Mempool, MempoolConfig, MempoolError};
pub use molt_consensus::{Peer, Role};
pub use network::NetworkSettings;
pub use producer::{AdmitError, Node, NodeConfig, NodeError, NodeHandle};
pub use server::{RpcConfig, RpcConfigError, ServeError};
pub use telemetry::{
    BlockTimings, CONTENT_TYPE as METRICS_CONTENT_TYPE, MAX_PENDING_TIMINGS, METRICS_PATH, Metrics,
    OPENMETRICS_CONTENT_TYPE, RpcMetricsLayer, Telemetry, openmetrics_to_prometheus, reason_label,
};
pub use version::NodeVersion;

/// The JSON-RPC port of `molt node --dev` unless `--rpc-port` says otherwise.
pub const DEFAULT_RPC_PORT: u16 = 8645;

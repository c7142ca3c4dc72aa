//! The Molt node: block production, mempool and JSON-RPC.
//!
//! In dev mode one validator produces a block every `block_time` on the same
//! runtime path a BFT network will drive (propose, execute, commit). State,
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
//!
//! Protocol upgrades (DESIGN.md 4): when the chain passes a scheduled
//! plan's height and this binary is older than the plan's release, the
//! node stops producing, writes the plan file and a checkpoint, and says
//! `ready` on its admin endpoint, a UNIX socket apart from the public RPC
//! (modules [`halt`] and [`admin`]).

pub mod admin;
pub mod halt;
mod journal;
mod json;
mod mempool;
mod producer;
mod rpc;
mod server;
mod status;
mod subscriptions;
mod version;
mod ws_only;

pub use journal::{JOURNAL_FILE, JournalError, MempoolJournal, Recovered};
pub use mempool::{Mempool, MempoolConfig, MempoolError};
pub use producer::{AdmitError, Node, NodeConfig, NodeError, NodeHandle};
pub use server::{RpcConfig, RpcConfigError, ServeError};
pub use version::NodeVersion;

/// The JSON-RPC port of `molt node --dev` unless `--rpc-port` says otherwise.
pub const DEFAULT_RPC_PORT: u16 = 8645;

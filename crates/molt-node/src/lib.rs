//! The Molt node: block production, mempool and JSON-RPC.
//!
//! In dev mode one validator produces a block every `block_time` on the same
//! runtime path a BFT network will drive (propose, execute, commit). State,
//! blocks and receipts live in one embedded store; on restart the node
//! resumes from the last committed block.
//!
//! JSON-RPC 2.0 is served over HTTP and WebSocket on one loopback port
//! (default [`DEFAULT_RPC_PORT`]); `rpc.discover` returns the OpenRPC
//! document (`openrpc.json`) that describes every method.

mod journal;
mod json;
mod mempool;
mod producer;
mod rpc;
mod server;
mod status;
mod subscriptions;

pub use journal::{JOURNAL_FILE, JournalError, MempoolJournal, Recovered};
pub use mempool::{Mempool, MempoolConfig, MempoolError};
pub use producer::{AdmitError, Node, NodeConfig, NodeError, NodeHandle};
pub use server::{RpcConfig, RpcConfigError, ServeError};

/// The JSON-RPC port of `molt node --dev` unless `--rpc-port` says otherwise.
pub const DEFAULT_RPC_PORT: u16 = 8645;

//! Molt on Commonware simplex: the consensus engine that drives the
//! runtime's [`molt_runtime::StateMachine`] for a network of validators (and
//! for the one-validator dev chain, on the same path).
//!
//! - [`Chain`]: the boundary with the node (runtime, mempool, subscribers),
//!   with its restart and failure contract.
//! - [`Engine::start`]: p2p, block dissemination and backfill, finalized
//!   block storage (Commonware marshal), simplex with round-robin leaders and
//!   ed25519 votes, and transaction gossip ([`TransactionRelay`]).
//! - [`wiring::run`]: the same engine over any Commonware runtime and p2p
//!   network (the deterministic simulation of `tests/simulation.rs`).
//! - [`EngineConfig`]: what it needs, validated by [`EngineConfig::check`].
//! - [`ChainBlock`]: a Molt block on the wire; its digest is the block id.
//!
//! `docs/network.md` describes the network for operators.

mod application;
mod block;
mod chain;
mod config;
mod engine;
mod finalizer;
mod scheme;
pub mod wiring;

pub use application::{Application, BlockContext};
pub use block::{BlockDigest, ChainBlock, digest_of, id_of};
pub use chain::Chain;
pub use config::{ConfigError, EngineConfig, Peer, Role};
pub use engine::{Engine, EngineError, EngineHandle, TransactionRelay};
pub use finalizer::{FinalizeError, Finalizer, apply as apply_finalized};
pub use scheme::{PrivateKey, PublicKey, Scheme, consensus_key, consensus_private_key};

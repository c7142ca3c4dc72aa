//! Molt state store: authenticated, versioned key-value state (Jellyfish
//! Merkle Tree over redb) with crash-safe block commits.
//!
//! # Model
//!
//! The state is a map from byte-string keys to byte-string values. Each
//! block height is a *version*; [`Store::commit`] applies one [`WriteBatch`]
//! (sets and deletes) as the next version and returns its *state root*, a
//! [`Digest`](molt_types::Digest) that commits to the whole map.
//!
//! - Versions are contiguous: the first commit may use any version (0 for
//!   genesis), every later one must be the latest plus one
//!   ([`StoreError::UnexpectedVersion`] otherwise).
//! - The root depends only on the map's contents, never on the order of
//!   writes or on the history that produced it.
//! - [`Store::get`] and [`Store::iter_prefix`] read the latest version;
//!   [`Store::get_at`], [`Store::root`] and [`Store::get_with_proof`] read any
//!   version that is committed ([`StoreError::UnknownVersion`]) and not yet
//!   pruned ([`StoreError::VersionPruned`]).
//! - [`Store::iter_prefix`] returns keys in ascending raw byte order, the
//!   deterministic order the Wasm host ABI exposes to programs.
//!
//! # Authentication
//!
//! The tree is a Jellyfish Merkle Tree (`jmt` 0.12) hashed with SHA3-256: a
//! key sits at the path `SHA3-256(key)`, a leaf commits to
//! `(SHA3-256(key), SHA3-256(value))`. A [`StateProof`] from
//! [`Store::get_with_proof`] shows, against a root alone, that a key holds a
//! value (inclusion) or is absent (exclusion); [`StateProof::verify`] needs
//! no database and [`StateProof::decode`] accepts untrusted bytes.
//!
//! # Aux data
//!
//! An [`AuxBatch`] carries unauthenticated data (blocks, receipts, indexes)
//! in named namespaces. It is not part of the root and not versioned, but it
//! is written in the same transaction as the version's state, so a block and
//! the state it produced are stored together or not at all.
//!
//! # Durability
//!
//! Everything a commit writes (tree nodes, values, the raw-key index, aux
//! data, the root, version metadata and any pruning) goes into one redb
//! write transaction committed with immediate durability. When
//! [`Store::commit`] returns `Ok`, the version survives a crash; when the
//! process dies earlier, reopening finds the previous version, whole. A
//! failed durable write is returned as [`StoreError::CommitFailed`] and the
//! node must stop.
//!
//! # History
//!
//! [`StoreConfig::keep_versions`] bounds history: with `Some(n)` each commit
//! deletes what only versions older than the latest `n` need (stale tree
//! nodes, superseded values, roots). Proofs at kept versions keep verifying.
//!
//! The on-disk layout (tables and key formats, byte by byte) is in
//! `docs/decisions/0003-state-store.md` and `src/schema.rs`.

mod batch;
mod config;
mod error;
#[cfg(feature = "test-utils")]
mod fault;
mod pending;
mod proof;
mod read;
mod schema;
mod snapshot;
mod store;
mod tree;

pub use batch::{
    AuxBatch, MAX_AUX_KEY_BYTES, MAX_AUX_VALUE_BYTES, MAX_KEY_BYTES, MAX_NAMESPACE_BYTES,
    MAX_VALUE_BYTES, WriteBatch,
};
pub use config::StoreConfig;
pub use error::{ProofError, Result, StoreError};
#[cfg(feature = "test-utils")]
pub use fault::{FaultOp, Faults, FaultyBackend};
pub use pending::{PendingView, PreparedBlock};
pub use proof::{MAX_PROOF_BYTES, StateProof};
pub use read::StateRead;
pub use snapshot::Snapshot;
pub use store::{Entries, Store, StoreStats};
pub use tree::TreeHasher;

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
//! # Pending blocks: prepare, then apply
//!
//! Under BFT consensus a block is executed before it is final, on a parent
//! that may not be final either. The store supports this without writing
//! anything until finalization:
//!
//! 1. [`Store::prepare`] computes the root of a [`WriteBatch`] as the next
//!    version on the latest committed version; [`Store::prepare_child`] does
//!    the same on a [`PreparedBlock`] that is still pending. Chains may be
//!    arbitrarily deep, and any number of siblings may share a parent.
//!    Nothing is written; the result lives in memory only.
//! 2. [`Store::view`] reads the state a prepared block produces (a
//!    [`PendingView`]): the writes of its pending chain, newest first, over
//!    the committed state, deletions included.
//! 3. [`Store::apply`] persists a prepared block, atomically with the aux
//!    data built from its root, once its parent is the latest committed
//!    version. Applying a chain in order writes exactly what committing its
//!    write sets one by one with [`Store::commit_with`] writes: the same
//!    roots, tree nodes, history and proofs.
//! 4. Finalizing one branch discards the others: a block whose branch lost
//!    is refused by `apply`, `view` and `prepare_child` with
//!    [`StoreError::BranchDiscarded`]; applying a block twice gives
//!    [`StoreError::AlreadyApplied`]; applying a child before its parent
//!    gives [`StoreError::ParentNotApplied`]. Dropping a prepared block
//!    discards it. Prepared blocks belong to one open store and do not
//!    survive a restart ([`StoreError::ForeignBlock`]): after a restart the
//!    consensus layer re-executes the blocks that were not finalized.
//!
//! # Consistent reads
//!
//! Every read runs in a redb read transaction (MVCC): it sees the database
//! as the last commit before it began left it, and commits that finish
//! meanwhile cannot change what it sees. Each read method of [`Store`]
//! opens its own, so one call never mixes two versions, but two calls may
//! see two. A [`Snapshot`] ([`Store::snapshot`]) and a [`PendingView`] pin
//! one read transaction for all their reads: use one per RPC request or per
//! block execution. While a snapshot or view lives, pages freed by later
//! commits are not reused, so keep them short-lived. [`StateRead`] is the
//! read interface block execution uses over any of the three.
//!
//! # Durability
//!
//! Everything a commit writes (tree nodes, values, the raw-key index, aux
//! data, the root, version metadata and any pruning) goes into one redb
//! write transaction committed with immediate durability. When
//! [`Store::commit`] or [`Store::apply`] returns `Ok`, the version
//! survives a crash; when the process dies earlier, reopening finds the
//! previous version, whole. A failed durable write is returned as
//! [`StoreError::CommitFailed`] (or [`StoreError::Database`]) and the node
//! must stop: the database refuses further I/O, and after a restart the
//! store is at the previous version or, if the failure came from the final
//! flush that had already handed the new header to the file, at the failed
//! version, complete; never in between, as after a crash during that
//! commit. [`StoreError::is_storage_failure`] tells such errors from the
//! caller's mistakes.
//!
//! # Checkpoints
//!
//! [`Store::checkpoint`] writes a whole, openable copy of the database file
//! while the store stays open, between commits, atomically (a temporary
//! file renamed into place): copy-on-write (`FICLONE`) where the filesystem
//! supports it, a kernel copy elsewhere ([`CheckpointMethod`]). The node
//! takes one at a protocol-upgrade halt so that a new binary that fails can
//! be rolled back to the halt height.
//!
//! # Fault injection (feature `test-utils`)
//!
//! `FaultyBackend` is a redb storage backend over a real file that fails
//! reads, writes or syncs on command through its `Faults` handle;
//! `Store::open_with_backend` opens a store on it. This crate's tests use
//! it to show the failure contract above; other crates' tests can use it
//! to show that a storage failure is fatal for the block.
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
mod checkpoint;
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
mod write;

pub use batch::{
    AuxBatch, MAX_AUX_KEY_BYTES, MAX_AUX_VALUE_BYTES, MAX_KEY_BYTES, MAX_NAMESPACE_BYTES,
    MAX_VALUE_BYTES, WriteBatch,
};
pub use checkpoint::{Checkpoint, CheckpointMethod};
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

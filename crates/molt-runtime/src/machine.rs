//! The state-machine boundary (DESIGN.md 5): what a consensus engine (the
//! dev producer now, Commonware simplex next) sees of the runtime.
//!
//! A block moves through four steps, each identified by its block id:
//!
//! 1. **propose** (the leader): execute candidate transactions on a parent
//!    that may not be final yet, skipping those that cannot be included, and
//!    return the block with its header (state root and receipts root after
//!    it) and receipts. Nothing is durable.
//! 2. **verify** (every other validator): execute the block on its own copy
//!    of the parent's state and compare everything the header commits to.
//!    The verdict is final: [`Verdict::Invalid`] only for a block that can
//!    never become valid (a wrong root, a transaction that can never be
//!    included, a proposer outside the epoch's validator set). The one
//!    check that depends on the verifier's clock, a timestamp too far ahead,
//!    is documented on [`InvalidBlock::TimestampTooFarAhead`].
//! 3. **finalize**: persist a proposed or verified block atomically, with its
//!    receipts. It is the only step that makes anything durable; it never
//!    executes the block again; it is idempotent (finalizing the latest
//!    committed block again succeeds and changes nothing). Finalizing a block
//!    discards every pending block that does not descend from it.
//! 4. **discard**: forget a pending block and its descendants.
//!
//! Results of execution (write set, receipts, roots) are kept per block id: a
//! child executes on its parent's pending state, siblings fork from one
//! parent.
//!
//! # Restart and retry
//!
//! Pending blocks live in memory. After a restart the runtime is at its last
//! finalized block and knows no pending block: `finalize` of a block verified
//! before the restart fails with [`RuntimeError::UnknownBlock`]; the engine
//! verifies it again (same result, deterministically) and then finalizes.
//! Calling `propose` or `verify` twice for the same block gives the same
//! block id and keeps one pending entry.
//!
//! # Failure
//!
//! A [`RuntimeError`] from any method is a failure of the node itself (its
//! disk, its state): fatal for the block, never a verdict or a receipt; the
//! node should stop and restart to its last finalized state.

use crate::error::{Rejection, RuntimeError};
use molt_types::{Address, Block, BlockId, Digest, Receipt, SignedTransaction, TransactionId};

/// Where and when the leader proposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProposeContext {
    /// The block to build on: the latest finalized block or a pending one.
    pub parent: BlockId,
    /// The proposing validator.
    pub proposer: Address,
    /// The leader's clock; the block's timestamp is at least its parent's
    /// plus one millisecond.
    pub timestamp_ms: u64,
}

/// What the verifier knows besides the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyContext {
    /// The verifier's clock, only to refuse timestamps implausibly far ahead.
    pub now_ms: u64,
}

/// A proposed block, executed and pending.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub block: Block,
    pub receipts: Vec<Receipt>,
    /// Candidates that could not be included, and why.
    pub skipped: Vec<(TransactionId, Rejection)>,
}

/// The result of verifying a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Executed; pending under its id until finalized or discarded.
    Valid,
    Invalid(InvalidBlock),
}

/// Why a block can never be valid. Each is a distinct, typed reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidBlock {
    #[error("the parent {parent} is neither the latest finalized block nor a pending block")]
    UnknownParent { parent: BlockId },
    #[error("the block is for chain {found}, not {expected}")]
    WrongChain { expected: String, found: String },
    #[error("the height is {found}, but the parent's child is at {expected}")]
    WrongHeight { expected: u64, found: u64 },
    #[error("the epoch is {found}, but the block belongs to epoch {expected}")]
    WrongEpoch { expected: u64, found: u64 },
    #[error("the proposer {proposer} is not a validator of epoch {epoch}")]
    ProposerNotValidator { proposer: Address, epoch: u64 },
    #[error("the timestamp {timestamp_ms} is not after the parent's {parent_ms}")]
    TimestampNotAfterParent { timestamp_ms: u64, parent_ms: u64 },
    /// The only verdict that depends on the verifier's clock: a timestamp
    /// more than `max_clock_drift_ms` ahead of it. Honest nodes with sane
    /// clocks agree; an engine may ask again later.
    #[error(
        "the timestamp {timestamp_ms} is more than {drift_ms} ms ahead of this node's clock {now_ms}"
    )]
    TimestampTooFarAhead {
        timestamp_ms: u64,
        now_ms: u64,
        drift_ms: u64,
    },
    #[error("the transactions declare {gas} gas in all, above the block limit of {limit}")]
    GasLimitExceeded { gas: u64, limit: u64 },
    #[error("the transactions are {size} bytes in all, above the block limit of {limit}")]
    SizeLimitExceeded { size: u64, limit: u64 },
    #[error("the transactions root is {found}, but the transactions give {expected}")]
    TransactionsRootMismatch { expected: Digest, found: Digest },
    /// A transaction over the transaction size limit that is not a
    /// governance resolve of an approved payload within the governance
    /// limit, judged on the state before the block (docs/framework.md,
    /// "Large resolve transactions"); `reason` is
    /// [`Rejection::TooLarge`], [`Rejection::ResolveTooLarge`] or
    /// [`Rejection::ResolveNotApproved`]. Checked before any transaction of
    /// the block runs.
    #[error("transaction {index} ({id}) is too large to be included: {reason}")]
    TransactionTooLarge {
        index: u32,
        id: TransactionId,
        reason: Rejection,
    },
    #[error("transaction {index} ({id}) cannot be included: {reason}")]
    TransactionNotIncludable {
        index: u32,
        id: TransactionId,
        reason: Rejection,
    },
    #[error("the state root is {found}, but executing the block gives {expected}")]
    StateRootMismatch { expected: Digest, found: Digest },
    #[error("the receipts root is {found}, but executing the block gives {expected}")]
    ReceiptsRootMismatch { expected: Digest, found: Digest },
}

/// A finalized block with its receipts.
#[derive(Debug, Clone)]
pub struct Finalized {
    pub block: Block,
    pub receipts: Vec<Receipt>,
}

/// The runtime as consensus sees it; see the module doc for the contract.
pub trait StateMachine {
    /// Executes `candidates` in order as a child of `ctx.parent`, skipping
    /// those that cannot be included (bad signature, sequence, balance,
    /// expiry, or no room left under the block gas and size limits).
    fn propose(
        &self,
        ctx: ProposeContext,
        candidates: &[SignedTransaction],
    ) -> Result<Proposal, RuntimeError>;

    /// Executes `block` on its parent's state and checks every commitment
    /// of its header.
    fn verify(&self, ctx: VerifyContext, block: &Block) -> Result<Verdict, RuntimeError>;

    /// Persists the pending block `id` (idempotent; no re-execution).
    fn finalize(&self, id: &BlockId) -> Result<Finalized, RuntimeError>;

    /// Forgets the pending block `id` and every pending descendant.
    fn discard(&self, id: &BlockId);

    /// Mempool admission: could `tx` be included in a child of the latest
    /// finalized block (sequence numbers ahead of the account's allowed)?
    fn check_transaction(&self, tx: &SignedTransaction) -> Result<(), Rejection>;
}

//! Runtime errors: why a transaction is refused before inclusion, and
//! failures of the node itself.

use molt_types::{Address, ChainId, Digest, TransactionError};

/// Why a transaction cannot be included. Nothing is charged and no state
/// changes; the sender sees this at submission.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("malformed transaction: {0}")]
    Malformed(#[from] TransactionError),
    #[error("wrong chain: the transaction is for {found}, this chain is {expected}")]
    WrongChain { expected: ChainId, found: ChainId },
    #[error(
        "sequence number {found} was already used; the account's next sequence number is {expected}"
    )]
    SequenceTooOld { expected: u64, found: u64 },
    #[error("sequence number {found} is ahead of the account's next sequence number {expected}")]
    SequenceTooNew { expected: u64, found: u64 },
    #[error("the transaction expired at height {expiry}; the chain is at height {height}")]
    Expired { expiry: u64, height: u64 },
    #[error("gas budget {budget} is below the minimum of {minimum} for this transaction")]
    GasBudgetTooLow { budget: u64, minimum: u64 },
    #[error("gas budget {budget} is above the maximum of {maximum}")]
    GasBudgetTooHigh { budget: u64, maximum: u64 },
    #[error("gas price {price} is below the minimum of {minimum}")]
    GasPriceTooLow { price: u64, minimum: u64 },
    #[error("balance {balance} of {account} cannot pay the gas budget ({needed} = budget x price)")]
    CannotPayGas {
        account: Address,
        balance: u64,
        needed: u64,
    },
    /// Over the transaction limit and not a governance resolve (only a
    /// resolve of an approved payload may be larger: docs/framework.md).
    #[error("the transaction is {size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    /// A governance resolve over the transaction limit `limit` and over the
    /// governance limit for approved resolves (the track's payload limit
    /// plus a fixed envelope, at most the block size limit and 4 MiB).
    #[error(
        "the resolve transaction is {size} bytes, over the transaction limit of {limit} and over the governance limit of {governance_limit} bytes for resolves of an approved payload (governance's track payload limit plus {envelope} bytes, at most the block size limit and {ceiling} bytes)",
        envelope = crate::large::RESOLVE_ENVELOPE_BYTES,
        ceiling = molt_types::codec::limits::MAX_RESOLVE_TRANSACTION_BYTES
    )]
    ResolveTooLarge {
        size: usize,
        limit: usize,
        governance_limit: usize,
    },
    /// A governance resolve over the transaction limit `limit`, within the
    /// governance limit, whose payload's SHA3-256 is not an approved
    /// execution hash on the state before the block.
    #[error(
        "the resolve transaction is {size} bytes, over the transaction limit of {limit}; a resolve may be larger (up to the governance limit of {governance_limit} bytes) only when its payload's SHA3-256 is an approved execution hash, and {hash} is not approved"
    )]
    ResolveNotApproved {
        size: usize,
        limit: usize,
        governance_limit: usize,
        hash: Digest,
    },
}

impl Rejection {
    /// A refusal for size alone (the transaction limit and its governance
    /// exception).
    pub fn is_size(&self) -> bool {
        matches!(
            self,
            Rejection::TooLarge { .. }
                | Rejection::ResolveTooLarge { .. }
                | Rejection::ResolveNotApproved { .. }
        )
    }
}

/// A failure of the node itself (storage, corrupt state): fatal for the block.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("storage: {0}")]
    Store(#[from] molt_store::StoreError),
    #[error("corrupt state record at {key}: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("invalid genesis: {0}")]
    Genesis(String),
    #[error("the VM could not be configured: {0}")]
    VmConfig(String),
    #[error("block {height} is not the next block (the chain is at {latest:?})")]
    NotNextBlock { height: u64, latest: Option<u64> },
    #[error("block verification failed: {0}")]
    InvalidBlock(String),
    #[error(
        "block {id} is not pending (never proposed or verified here, discarded, or forgotten by a restart): verify it again first"
    )]
    UnknownBlock { id: molt_types::BlockId },
    #[error("cannot propose on {parent}: it is neither the latest finalized block nor pending")]
    UnknownParent { parent: molt_types::BlockId },
    #[error("{proposer} cannot propose: it is not a validator of epoch {epoch}")]
    NotAValidator { proposer: Address, epoch: u64 },
    #[error(
        "block {id} cannot be finalized: its parent is not finalized yet (finalize the chain in order)"
    )]
    ParentNotFinalized { id: molt_types::BlockId },
    #[error(
        "the node's own state failed during execution: {0}; the block is aborted, restart the node"
    )]
    HostFault(String),
    /// The chain passed an upgrade plan's height and this binary is older
    /// than the plan's release (see the `halt` module): not a verdict on the
    /// block, a refusal to judge it.
    #[error(
        "halted for a protocol upgrade: blocks after height {} need release {} or later, and this binary is {running}; install molt {} (molt-visor switches at the height)",
        plan.height, plan.version, plan.version
    )]
    HaltedForUpgrade {
        plan: Box<molt_types::UpgradePlan>,
        running: String,
    },
}

//! The boundary between the consensus engine and the node that hosts it.
//!
//! The engine drives the runtime through [`Chain::machine`] (the
//! [`StateMachine`] contract: propose, verify, finalize, discard) and asks
//! the node for what only the node has: the mempool's candidates, and what
//! to do once a block is final (settle the mempool, tell subscribers).
//!
//! # Contract
//!
//! - Every method may be called from any engine task; implementations are
//!   `Send + Sync` and lock internally.
//! - [`Chain::finalized`] is called once per block in height order, after
//!   [`StateMachine::finalize`] made the block durable and before the engine
//!   acknowledges it to Commonware's marshal. After a crash the same block may
//!   be handed again (at-least-once): it must be idempotent.
//! - An `Err` from [`Chain::finalized`] is a failure of the node itself (its
//!   mempool journal): the engine stops, and on restart resumes from the
//!   last durable block.
//! - [`Chain::gossiped`] receives transactions other nodes relayed; it runs
//!   the same admission as an RPC submission and must never panic on them.

use molt_runtime::{Finalized, Rejection, RuntimeError, StateMachine};
use molt_types::{Block, BlockId, SignedTransaction, TransactionId};

/// What the engine needs from the node.
pub trait Chain: Send + Sync + 'static {
    type Machine: StateMachine;

    /// The runtime behind the state-machine contract.
    fn machine(&self) -> &Self::Machine;

    /// The latest finalized block.
    fn latest_block(&self) -> Result<Block, RuntimeError>;

    /// The finalized block at `height`, if this node has it.
    fn block_at(&self, height: u64) -> Result<Option<Block>, RuntimeError>;

    /// Whether `id` is pending (proposed or verified here, not yet final).
    fn is_pending(&self, id: &BlockId) -> bool;

    /// Up to `max` transactions for the next block, the child of `parent`
    /// (the latest finalized block or a pending one), in inclusion order.
    /// Besides the mempool's, the node may add transactions of its own
    /// (a proposer's signal), numbered on `parent`'s state.
    fn candidates(&self, max: usize, parent: &BlockId) -> Vec<SignedTransaction>;

    /// After a proposal: transactions that could not be included, and why.
    fn skipped(&self, skipped: &[(TransactionId, Rejection)]);

    /// A block became final and durable (see the module contract).
    fn finalized(&self, finalized: &Finalized) -> Result<(), String>;

    /// A transaction relayed by a peer (already decoded within size limits).
    fn gossiped(&self, tx: SignedTransaction, encoded: &[u8]);
}

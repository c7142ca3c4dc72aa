//! Simulating a transaction: everything a block would do with it, on the
//! latest committed state, with nothing written.
//!
//! [`Runtime::simulate`] applies one signed transaction with the same
//! [`Executor::apply`] that [`Runtime::produce_block`] runs for every
//! transaction of a block, as the first transaction of the next block:
//!
//! 1. the checks that decide inclusion ([`Rejection`]): size, chain,
//!    signature, expiry, the exact next sequence number (as in a block; the
//!    mempool also admits numbers ahead of it), gas budget and price, and
//!    the balance for the budget;
//! 2. buying the budget and advancing the sequence number;
//! 3. the payload inside a checkpoint, with the first failure as the
//!    receipt's typed [`FailureReason`]. For an upgrade this is the cap or
//!    the ticket call, module validation, dependency linking, the
//!    compatibility check under the cap's policy and the constructor; for a
//!    publish, module validation, dependency linking, the constructor and
//!    `init`;
//! 4. the refund of unused gas and the fee to the proposer.
//!
//! The result is the receipt the transaction would get (status, gas used,
//! events) or the rejection. The writes live in an overlay of the block that
//! is dropped at the end: a simulation never changes the state root, the
//! blocks, the receipts or the mempool.
//!
//! # The simulated block
//!
//! - height: the latest committed height plus one;
//! - time: the latest block's time plus 1 ms, the earliest time the next
//!   block may carry (a program that reads the block time may see a later
//!   one in the real block);
//! - proposer: the latest block's proposer. It only decides where the fee
//!   goes, which no receipt shows.
//!
//! # One committed state
//!
//! Everything is read from one store snapshot taken at the start, pinned
//! while the node goes on committing blocks: the latest committed block,
//! its chain parameters (gas schedule, limits, VM limits, as the next block
//! reads them) and all state. [`SimulatedBlock::parent_height`] and
//! [`SimulatedBlock::parent_state_root`] name that state.
//!
//! A block also does its epoch bookkeeping before its first transaction
//! (advancing the epoch, installing a scheduled validator set and
//! parameters); the simulation does it too, since programs read those
//! records (`molt.chain_info`) and the block's limits come from them.
//!
//! # What a simulation cannot promise
//!
//! The real block may include other transactions first (the sender's own
//! earlier ones among them) and run at a later time; both can change the
//! outcome. Gas used depends only on the module, the inputs and the state,
//! so on an unchanged state the real receipt equals the simulated one.
//!
//! # Gas budgets from a simulation
//!
//! Clients that do not set a budget simulate with
//! [`simulation_budget`] (the largest budget the sender can afford, capped at
//! the chain's maximum) and then sign with [`budget_with_margin`] of the gas
//! the simulation used: [`GAS_MARGIN_PERCENT`] percent more, rounded up, so
//! that small state changes between simulation and inclusion do not run the
//! transaction out of gas. Unused gas is refunded, so the margin costs
//! nothing unless it is used.

use crate::error::{Rejection, RuntimeError};
use crate::execute::{BlockEnv, Executor};
use crate::overlay::Overlay;
use crate::params::ChainParams;
use crate::runtime::{AUX_BLOCKS, Runtime};
use molt_types::{Address, Block, Digest, FailureReason, Receipt, SignedTransaction};

/// How much gas above the simulated gas use [`budget_with_margin`] adds, in
/// percent.
pub const GAS_MARGIN_PERCENT: u64 = 20;

/// The block a transaction was simulated in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedBlock {
    pub height: u64,
    pub timestamp_ms: u64,
    pub proposer: Address,
    /// The committed block whose state the simulation read.
    pub parent_height: u64,
    pub parent_state_root: Digest,
}

/// What a block would do with the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimulationOutcome {
    /// Included, with this receipt (which may be a failure: it then pays for
    /// the gas it used and changes nothing else).
    Included(Receipt),
    /// Not includable; nothing would be charged.
    Rejected(Rejection),
}

/// The result of [`Runtime::simulate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulation {
    pub block: SimulatedBlock,
    pub outcome: SimulationOutcome,
}

impl Simulation {
    /// The receipt, if the transaction would be included.
    pub fn receipt(&self) -> Option<&Receipt> {
        match &self.outcome {
            SimulationOutcome::Included(r) => Some(r),
            SimulationOutcome::Rejected(_) => None,
        }
    }

    /// The first failure of an included transaction, if it would fail.
    pub fn failure(&self) -> Option<&FailureReason> {
        match self.receipt().map(|r| &r.status) {
            Some(molt_types::ExecutionStatus::Failure(f)) => Some(f),
            _ => None,
        }
    }
}

/// The gas budget to simulate with: the most the sender can pay for at
/// `gas_price` out of `balance` after setting aside `spend` (coin the payload
/// itself moves, such as a transfer's amount), at most the chain's maximum
/// and at least the transaction's intrinsic gas `intrinsic` (so that a
/// sender who cannot pay even that is told so by the balance check rather
/// than by the budget check). A zero price (which the chain refuses) gives
/// the maximum.
pub fn simulation_budget(
    params: &ChainParams,
    balance: u64,
    spend: u64,
    gas_price: u64,
    intrinsic: u64,
) -> u64 {
    let affordable = balance
        .saturating_sub(spend)
        .checked_div(gas_price)
        .unwrap_or(u64::MAX);
    affordable.min(params.max_gas_budget).max(intrinsic)
}

/// The budget to sign with after a simulation used `gas_used`:
/// [`GAS_MARGIN_PERCENT`] percent more, rounded up, at most the chain's
/// maximum.
pub fn budget_with_margin(params: &ChainParams, gas_used: u64) -> u64 {
    let margin = (u128::from(gas_used) * u128::from(GAS_MARGIN_PERCENT)).div_ceil(100);
    let margin = u64::try_from(margin).unwrap_or(u64::MAX);
    gas_used.saturating_add(margin).min(params.max_gas_budget)
}

impl Runtime {
    /// Applies `tx` as the first transaction of the next block on the latest
    /// committed state and returns what would happen; nothing is written.
    /// An error is a failure of the node's own storage or state.
    pub fn simulate(&self, tx: &SignedTransaction) -> Result<Simulation, RuntimeError> {
        let snapshot = self.store().snapshot()?;
        let parent_height = snapshot.latest_version().unwrap_or(0);
        let parent = snapshot
            .get_aux(AUX_BLOCKS, &parent_height.to_be_bytes())?
            .ok_or_else(|| RuntimeError::Corrupt {
                key: format!("block {parent_height}"),
                reason: "the latest block is missing".into(),
            })?;
        let parent = Block::decode(&parent).map_err(|e| RuntimeError::Corrupt {
            key: format!("block {parent_height}"),
            reason: e.to_string(),
        })?;
        let block = SimulatedBlock {
            height: parent_height.saturating_add(1),
            timestamp_ms: parent.header.timestamp_ms.saturating_add(1),
            proposer: parent.header.proposer,
            parent_height,
            parent_state_root: parent.header.state_root,
        };
        let mut overlay = Overlay::new(&snapshot);
        let (params, _) =
            crate::governance::begin_block(&mut overlay, block.height, self.genesis_params())?;
        let vm = self.vm_for(&params)?;
        let exec = Executor {
            vm: &vm,
            chain_id: self.chain_id(),
            params: &params,
            signatures: Some(&self.signatures),
        };
        let env = BlockEnv {
            height: block.height,
            timestamp_ms: block.timestamp_ms,
            proposer: block.proposer,
        };
        let before = Overlay::new(&snapshot);
        let outcome = match exec.apply(&mut overlay, &before, tx, tx.encode().len(), env)? {
            Ok(receipt) => SimulationOutcome::Included(receipt),
            Err(rejection) => SimulationOutcome::Rejected(rejection),
        };
        // The overlay and its writes are dropped here, never committed.
        Ok(Simulation { block, outcome })
    }
}

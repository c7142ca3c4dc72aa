//! Chain parameters: everything that decides whether a block is valid, kept
//! in chain state (key `chain/params`) and read at the start of every block,
//! so a change written by one block is obeyed from the next block on, with
//! no restart (DESIGN.md 5).
//!
//! Node-local settings (module cache size, mempool size, RPC limits) are not
//! here: nodes may differ in them without disagreeing on any block.

use borsh::{BorshDeserialize, BorshSerialize};
use molt_vm::{GasSchedule, VmConfig};
use serde::Serialize;

/// Costs and limits every block and transaction is checked against.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct ChainParams {
    /// Gas every transaction pays before its payload runs.
    pub base_gas: u64,
    /// Gas per byte of the encoded signed transaction.
    pub gas_per_byte: u64,
    /// Gas per byte of a published module, on top of `gas_per_byte`
    /// (validation, compilation and storing code).
    pub publish_gas_per_byte: u64,
    /// The largest gas budget a transaction may declare.
    pub max_gas_budget: u64,
    pub min_gas_price: u64,
    /// The largest sum of the gas budgets of one block's transactions.
    pub max_block_gas: u64,
    /// The largest sum of the encoded sizes of one block's transactions.
    pub max_block_bytes: u64,
    /// Blocks per epoch: the epoch advances at the first block whose height
    /// is `epoch_length` past the epoch's first block.
    pub epoch_length: u64,
    /// How far (ms) a block's timestamp may be ahead of a verifier's clock.
    pub max_clock_drift_ms: u64,
    /// The VM's limits and host-call gas schedule.
    pub vm: VmLimits,
}

/// The consensus part of [`VmConfig`]: every limit that decides whether a
/// module or a call is valid, and the gas schedule.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct VmLimits {
    pub max_module_size: u64,
    pub max_interface_size: u64,
    pub max_memory_pages: u32,
    pub max_call_depth: u32,
    pub max_recursion_depth: u64,
    pub max_value_stack_bytes: u64,
    pub max_gas_per_call: u64,
    pub max_key_size: u64,
    pub max_value_size: u64,
    pub max_event_size: u64,
    pub max_return_size: u64,
    pub max_abort_message: u64,
    pub gas: GasSchedule,
}

/// Why a [`ChainParams`] cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid chain parameters: {0}")]
pub struct ParamsError(pub String);

fn usize_of(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

impl VmLimits {
    /// The VM configuration with these limits and the node-local module
    /// cache capacity.
    pub fn vm_config(&self, module_cache_capacity: usize) -> VmConfig {
        VmConfig {
            max_module_size: usize_of(self.max_module_size),
            max_interface_size: usize_of(self.max_interface_size),
            max_memory_pages: self.max_memory_pages,
            max_call_depth: self.max_call_depth,
            max_recursion_depth: usize_of(self.max_recursion_depth),
            max_value_stack_bytes: usize_of(self.max_value_stack_bytes),
            max_gas_per_call: self.max_gas_per_call,
            max_key_size: usize_of(self.max_key_size),
            max_value_size: usize_of(self.max_value_size),
            max_event_size: usize_of(self.max_event_size),
            max_return_size: usize_of(self.max_return_size),
            max_abort_message: usize_of(self.max_abort_message),
            module_cache_capacity,
            gas: self.gas.clone(),
        }
    }
}

impl Default for VmLimits {
    fn default() -> Self {
        let c = VmConfig::default();
        VmLimits {
            max_module_size: c.max_module_size as u64,
            max_interface_size: c.max_interface_size as u64,
            max_memory_pages: c.max_memory_pages,
            max_call_depth: c.max_call_depth,
            max_recursion_depth: c.max_recursion_depth as u64,
            max_value_stack_bytes: c.max_value_stack_bytes as u64,
            max_gas_per_call: c.max_gas_per_call,
            max_key_size: c.max_key_size as u64,
            max_value_size: c.max_value_size as u64,
            max_event_size: c.max_event_size as u64,
            max_return_size: c.max_return_size as u64,
            max_abort_message: c.max_abort_message as u64,
            gas: c.gas,
        }
    }
}

impl ChainParams {
    /// Checks the invariants a chain needs to make progress.
    pub fn validate(&self) -> Result<(), ParamsError> {
        let bad = |m: &str| Err(ParamsError(m.into()));
        if self.epoch_length == 0 {
            return bad("epoch_length must be at least 1 block");
        }
        if self.max_block_gas < self.max_gas_budget {
            return bad(
                "max_block_gas must be at least max_gas_budget, or no large transaction fits",
            );
        }
        if self.max_block_bytes < molt_types::codec::limits::MAX_TRANSACTION_BYTES as u64 {
            return bad("max_block_bytes must hold at least one transaction of the largest size");
        }
        if self.max_block_bytes > molt_types::codec::limits::MAX_BLOCK_BYTES as u64 {
            return bad("max_block_bytes must be at most the codec's block limit (16 MiB)");
        }
        if self.min_gas_price == 0 {
            return bad("min_gas_price must be positive");
        }
        self.vm
            .vm_config(1)
            .validate()
            .map_err(|e| ParamsError(e.to_string()))
    }
}

impl Default for ChainParams {
    fn default() -> Self {
        ChainParams {
            base_gas: 1_000,
            gas_per_byte: 10,
            publish_gas_per_byte: 50,
            max_gas_budget: 500_000_000,
            min_gas_price: 1,
            max_block_gas: 50_000_000_000,
            max_block_bytes: 8 * 1024 * 1024,
            epoch_length: 1_000,
            max_clock_drift_ms: 30_000,
            vm: VmLimits::default(),
        }
    }
}

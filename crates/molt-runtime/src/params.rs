//! Chain parameters: the gas schedule of transactions (the VM's own host-call
//! schedule is in `molt_vm::GasSchedule`, documented in docs/gas-schedule.md).

use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;

/// Costs and limits every transaction is checked against.
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
}

impl Default for ChainParams {
    fn default() -> Self {
        ChainParams {
            base_gas: 1_000,
            gas_per_byte: 10,
            publish_gas_per_byte: 50,
            max_gas_budget: 500_000_000,
            min_gas_price: 1,
        }
    }
}

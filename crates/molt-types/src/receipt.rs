//! Receipts: what happened to an included transaction.

use crate::digest::Digest;
use crate::event::Event;
use borsh::{BorshDeserialize, BorshSerialize};
use std::string::String;
use std::vec::Vec;

/// The outcome of an included transaction. A failed transaction still pays
/// for the gas it used and changes nothing else.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Receipt {
    pub transaction_id: Digest,
    pub status: ExecutionStatus,
    pub gas_used: u64,
    /// Events emitted; empty when the transaction failed.
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ExecutionStatus {
    Success,
    Failure(FailureReason),
}

/// Why an included transaction failed. Variants are appended, never reordered.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, thiserror::Error)]
pub enum FailureReason {
    #[error("out of gas: the budget of {budget} gas was used up")]
    OutOfGas { budget: u64 },
    #[error("insufficient balance: needed {needed}, available {available}")]
    InsufficientBalance { needed: u64, available: u64 },
    #[error("the program aborted with code {code}: {message}")]
    Aborted { code: u32, message: String },
    #[error("the program trapped: {0}")]
    Trap(String),
    #[error("the module was rejected: {reason}")]
    InvalidModule { reason: String },
    #[error("no package with id {package}")]
    UnknownPackage { package: crate::Address },
    #[error("package {package} has no function `{function}`")]
    UnknownFunction {
        package: crate::Address,
        function: String,
    },
    #[error("function `{function}` cannot be called by a transaction: {reason}")]
    NotCallable { function: String, reason: String },
    #[error("the arguments do not match the interface: {reason}")]
    InvalidArguments { reason: String },
    #[error("a limit was exceeded: {reason}")]
    LimitExceeded { reason: String },
    #[error("upgrade rejected: {reason}")]
    UpgradeRejected { reason: String },
    #[error("upgrade rejected, incompatible with policy {policy}: {}\n{report}", codes.join(", "))]
    IncompatibleUpgrade {
        policy: crate::UpgradePolicy,
        codes: Vec<String>,
        report: String,
    },
    #[error("the package's constructor rejected the upgrade (code {code}): {message}")]
    ConstructorRejected { code: u32, message: String },
    #[error("upgrade capability: {reason}")]
    CapDenied { reason: String },
}

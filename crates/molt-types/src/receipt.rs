//! Receipts: what happened to an included transaction.
//!
//! A receipt is consensus data: it is hashed into the block's receipts root,
//! so every node must produce it byte for byte. It therefore holds status
//! codes and structured data only (numbers, ids, declaration and function
//! names, a program's own abort message), never text written by the engine
//! or the node (an engine's trap wording, a rendered compatibility report,
//! a formatted explanation): such text changes between versions and would
//! fork the chain. People read the `Display` of [`FailureReason`], rendered
//! from the structured data at read time.

use crate::address::Address;
use crate::digest::Digest;
use crate::event::Event;
use crate::policy::UpgradePolicy;
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

/// Why an included transaction failed. Variants are appended, never
/// reordered; every field is structured data (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, thiserror::Error)]
pub enum FailureReason {
    #[error("out of gas: the budget of {budget} gas was used up")]
    OutOfGas { budget: u64 },
    #[error("insufficient balance: needed {needed}, available {available}")]
    InsufficientBalance { needed: u64, available: u64 },
    /// The program stopped itself: `message` is the program's own bytes.
    #[error("the program aborted with code {code}: {message}")]
    Aborted { code: u32, message: String },
    #[error("the program trapped: {0}")]
    Trap(TrapCode),
    #[error("the module was rejected: {0}")]
    InvalidModule(ModuleRejection),
    #[error("no package with id {package}")]
    UnknownPackage { package: Address },
    #[error("package {package} has no function `{function}`")]
    UnknownFunction { package: Address, function: String },
    #[error("function `{function}` cannot be called {reason}")]
    NotCallable {
        function: String,
        reason: NotCallableReason,
    },
    #[error("the arguments of `{function}` do not match its declared parameters")]
    InvalidArguments { function: String },
    #[error("a limit was exceeded: {0}")]
    LimitExceeded(LimitKind),
    #[error("upgrade rejected: {0}")]
    UpgradeRejected(UpgradeRejection),
    #[error(
        "upgrade rejected, incompatible with policy {policy}: {}",
        render_violations(violations)
    )]
    IncompatibleUpgrade {
        policy: UpgradePolicy,
        /// Every violation, in the checker's order.
        violations: Vec<ViolationRecord>,
    },
    /// The first version's constructor refused (DESIGN.md 2.2); `message`
    /// is the program's own bytes.
    #[error("the package's constructor rejected the upgrade (code {code}): {message}")]
    ConstructorRejected { code: u32, message: String },
    #[error("upgrade capability: {0}")]
    CapDenied(CapDenial),
}

/// One violation of an incompatible upgrade: its stable code (`E0301`, see
/// `docs/compatibility.md`) and the declaration it concerns.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ViolationRecord {
    pub code: String,
    pub declaration: String,
}

fn render_violations(violations: &[ViolationRecord]) -> String {
    let parts: Vec<String> = violations
        .iter()
        .map(|v| std::format!("{} at {}", v.code, v.declaration))
        .collect();
    parts.join(", ")
}

/// How a program trapped, independent of the engine's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, thiserror::Error)]
pub enum TrapCode {
    #[error("unreachable executed (a Rust panic compiles to this)")]
    Unreachable,
    #[error("linear memory accessed out of bounds")]
    MemoryOutOfBounds,
    #[error("table accessed out of bounds")]
    TableOutOfBounds,
    #[error("indirect call to a null table entry")]
    IndirectCallToNull,
    #[error("indirect call with the wrong signature")]
    BadSignature,
    #[error("integer overflow")]
    IntegerOverflow,
    #[error("integer division by zero")]
    IntegerDivisionByZero,
    #[error("invalid conversion to integer")]
    BadConversionToInteger,
    #[error("a host call got a memory range outside linear memory")]
    HostMemoryOutOfBounds,
    #[error("bytes that must be UTF-8 are not")]
    InvalidUtf8,
    #[error("a view call tried to write storage, emit an event or authorize an upgrade")]
    WriteInView,
    #[error("a function with a declared result returned without setting it")]
    MissingReturnData,
    #[error("an event not declared in the package's interface was emitted")]
    UndeclaredEvent,
    #[error("an upgrade ticket was refused (not in a ticket call, cap unknown or not owned)")]
    UpgradeNotAuthorized,
    #[error("the package declares no such entry point (init or constructor)")]
    NoSuchEntryPoint,
    #[error("arguments were passed to a function that takes none")]
    UnexpectedArguments,
    #[error("the module has no exported memory")]
    NoMemory,
    #[error("any other trap")]
    Other,
    /// A privileged host call by a program that is not a framework package
    /// (DESIGN.md 3): only governance, through a proposal, can do that.
    #[error(
        "a privileged host call by a program that is not a framework package: submit a governance proposal instead"
    )]
    NotPrivileged,
    /// A framework package's privileged call was refused by the node
    /// (parameters or a validator set that cannot work, a governance upgrade
    /// of a package that is not a framework package, an unknown package).
    #[error(
        "the node refused a governance action (invalid parameters or validator set, or a target that is not a framework package)"
    )]
    GovernanceActionRefused,
}

/// Why a module was refused at publish or upgrade.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, thiserror::Error)]
pub enum ModuleRejection {
    #[error("the module is {size} bytes, above the limit of {limit}")]
    TooLarge { size: u64, limit: u64 },
    #[error(
        "the bytes are not a valid Wasm module or use a forbidden feature (floats, SIMD, threads)"
    )]
    Invalid,
    #[error("it imports `{module}.{name}`, which the host does not provide")]
    UnknownImport { module: String, name: String },
    #[error("it imports `molt.{name}` with the wrong signature")]
    ImportSignatureMismatch { name: String },
    #[error("it has no `molt:interface` section")]
    MissingInterface,
    #[error("its `molt:interface` section is {size} bytes, above the limit of {limit}")]
    InterfaceTooLarge { size: u64, limit: u64 },
    #[error("its `molt:interface` section is invalid")]
    BadInterface,
    #[error("it does not export `{name}`")]
    MissingExport { name: String },
    #[error("its export `{name}` has the wrong signature")]
    ExportSignatureMismatch { name: String },
    #[error("it exports `{name}`, which its interface does not declare")]
    UndeclaredExport { name: String },
    #[error("it declares {pages} pages of memory, above the limit of {limit}")]
    MemoryLimit { pages: u64, limit: u64 },
    #[error("its dependency {original_id} has no version {version} on this chain")]
    MissingDependency { original_id: Address, version: u64 },
}

/// Why a function cannot be called this way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, thiserror::Error)]
pub enum NotCallableReason {
    #[error("from outside: it is internal to the program")]
    Internal,
    #[error("by another program: it is an entry function (transactions only)")]
    EntryFromProgram,
}

/// Which limit a call exceeded.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, thiserror::Error)]
pub enum LimitKind {
    #[error("linear memory of {requested_pages} pages, above the limit of {limit_pages}")]
    Memory {
        requested_pages: u64,
        limit_pages: u64,
    },
    #[error("cross-program call depth above {limit}")]
    CallDepth { limit: u64 },
    #[error("Wasm recursion deeper than {limit}")]
    Recursion { limit: u64 },
    #[error("{what} of {size} bytes, above the limit of {limit}")]
    Size { what: String, size: u64, limit: u64 },
    #[error("gas limit {requested} above the maximum of {max} per call")]
    GasPerCall { requested: u64, max: u64 },
}

/// Why an upgrade was refused before its module was checked.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, thiserror::Error)]
pub enum UpgradeRejection {
    #[error("the package is immutable: its UpgradeCap was destroyed")]
    Immutable,
    #[error(
        "its UpgradeCap {cap} is held by {holder}, not by the sender; the holder must sign, or pass a ticket call to the program that holds it"
    )]
    NotCapHolder { cap: Address, holder: Address },
    #[error("the ticket call {package}::{function} failed: {reason}")]
    TicketCallFailed {
        package: Address,
        function: String,
        reason: std::boxed::Box<FailureReason>,
    },
    /// No longer produced: the cap's holder may issue the ticket in any call
    /// the ticket call makes (docs/host-abi.md). Kept so that receipts that
    /// hold it still decode.
    #[error("its UpgradeCap {cap} is held by {holder}, not by the ticket program {program}")]
    TicketProgramNotHolder {
        cap: Address,
        holder: Address,
        program: Address,
    },
    #[error("the ticket call {package}::{function} issued no ticket for UpgradeCap {cap}")]
    NoTicket {
        package: Address,
        function: String,
        cap: Address,
    },
    #[error("the ticket authorizes module checksum {authorized}, but this module's is {actual}")]
    TicketChecksumMismatch { authorized: Digest, actual: Digest },
    #[error("the package has reached the last edition")]
    LastEdition,
}

/// Why an UpgradeCap operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, thiserror::Error)]
pub enum CapDenial {
    #[error("there is no UpgradeCap {cap} (was it destroyed?)")]
    NoSuchCap { cap: Address },
    #[error("UpgradeCap {cap} is held by {holder}, not by the sender")]
    NotHolder { cap: Address, holder: Address },
    #[error("policies can only be tightened: {from} -> {to} would loosen it")]
    WouldLoosen {
        from: UpgradePolicy,
        to: UpgradePolicy,
    },
}

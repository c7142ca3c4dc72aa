//! The Molt Wasm engine: validation, determinism limits, metering, host ABI
//! and module cache.
//!
//! A package is one wasm32 module that carries its interface in the custom
//! section `molt:interface`. This crate turns untrusted module bytes into a
//! callable [`PreparedModule`] and runs its entry points against a [`Host`]
//! (the world: storage, events, other packages), under the contract of
//! `docs/host-abi.md`. It knows nothing of the store or of transactions.
//!
//! # Preparing a module ([`Vm::prepare`])
//!
//! 1. The module is at most [`VmConfig::max_module_size`] bytes, else
//!    [`VmError::ModuleTooLarge`]. Its SHA3-256 checksum is the key of the
//!    module cache: a module prepared before is returned at once, without
//!    validating or compiling it again ([`Vm::cache_stats`]).
//! 2. Determinism: floating-point types and instructions, SIMD, atomics,
//!    shared memory and 64-bit memory are rejected with a
//!    [`VmError::InvalidModule`] that names the first one found and where.
//!    wasmi (pinned to 2.0.0) then validates and compiles the module eagerly
//!    with the same bans, no start function, one memory.
//! 3. Imports: only functions of module `molt` with exactly the names and
//!    signatures of the host ABI ([`VmError::UnknownImport`],
//!    [`VmError::ImportSignatureMismatch`]).
//! 4. Memory: the module exports `memory`, whose declared initial and maximum
//!    sizes are at most [`VmConfig::max_memory_pages`] ([`VmError::MemoryLimit`]).
//! 5. Interface: the `molt:interface` section exists, is at most
//!    [`VmConfig::max_interface_size`] bytes, decodes and validates
//!    ([`VmError::BadInterface`]).
//! 6. Exports: `molt_alloc: (i32) -> i32`; `molt:fn:<name>` for every declared
//!    function with its lowered signature; `molt:init` and `molt:constructor`
//!    present iff declared; no undeclared `molt:fn:*`
//!    ([`VmError::MissingExport`], [`VmError::ExportSignatureMismatch`],
//!    [`VmError::UndeclaredExport`]); finally `molt_interface::check_exports`,
//!    the checker the CLI runs, must agree.
//!
//! # Calling ([`Vm::call`])
//!
//! Each call gets a fresh wasmi store and instance with fuel equal to its gas
//! limit (1 gas = 1 fuel unit; `docs/gas-schedule.md`). Transactions may call
//! `public` and `entry` functions, other programs (`molt.call`) only `public`
//! ones. Arguments are written into memory obtained from `molt_alloc`; the
//! result is what the program passed to `molt.return_data`. Host functions
//! charge gas before they work and check every pointer range.
//!
//! A `view` function, and everything it calls, may not write storage, emit
//! events or authorize upgrades ([`VmError::WriteInView`]). Cross-program calls nest up to
//! [`VmConfig::max_call_depth`] deep ([`VmError::CallDepthExceeded`]); the
//! callee runs on the caller's remaining gas, and its failure fails the
//! caller with the callee's error. Wasm recursion is bounded by
//! [`VmConfig::max_recursion_depth`] ([`VmError::StackOverflow`]), memory
//! growth by [`VmConfig::max_memory_pages`] ([`VmError::MemoryLimit`]),
//! execution by gas ([`VmError::OutOfGas`], which reports the whole limit
//! as used).
//!
//! The decisions that are not storage (who may call what, views, call
//! depth, which version a call reaches, where `storage_next` starts, and
//! whether `molt.authorize_upgrade` issues a ticket) come from
//! `molt_host_rules`, the same code the SDK's native `TestEnv` runs; a
//! [`Host`] only answers questions about its state.
//!
//! # Atomicity
//!
//! The VM calls [`Host`] methods directly and brackets every call (nested
//! ones too) with [`Host::checkpoint`] and [`Host::commit`] or
//! [`Host::revert`]; so a failed call changes nothing. [`MemoryHost`]
//! implements this with an undo journal; the runtime implements it over its
//! transaction overlay.
//!
//! # Determinism
//!
//! No floats in programs or in this crate's results, no clock, no hashing
//! order: the cache and [`MemoryHost`] use ordered maps, and the cache only
//! affects speed. Gas depends only on the module, the inputs and the state.

mod abi;
mod cache;
mod coin;
mod config;
mod determinism;
mod error;
mod exec;
mod governance;
mod host;
mod imports;
mod memory_host;
mod module;
mod privileged;
mod vm;

pub use abi::{CallContext, CallTarget, Context, HOST_MODULE, PackageInfo};
pub use cache::CacheStats;
pub use coin::{TRANSFER_EVENT, transfer_event};
pub use config::{GasSchedule, VmConfig, WASM_PAGE_SIZE};
pub use error::{CallError, ConfigError, HostError, VmError};
pub use governance::{ChainInfo, GovernanceRefusal, GovernanceUpgrade};
pub use host::{Host, StorageEntry, UpgradeTicket};
pub use memory_host::MemoryHost;
pub use module::PreparedModule;
pub use vm::{CallOutcome, Vm};

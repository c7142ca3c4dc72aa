//! The host ABI, version 1 (docs/host-abi.md): import names and signatures,
//! the `Context` a program reads, and the entry points the VM calls.

use borsh::{BorshDeserialize, BorshSerialize};
use molt_types::{Address, Digest};
use wasmi::ValType;

/// Module name of every host import.
pub const HOST_MODULE: &str = "molt";

/// One host function of the ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum HostFn {
    BufferRead,
    StorageGet,
    StorageHas,
    StorageSet,
    StorageRemove,
    StorageNext,
    StorageGetForeign,
    EmitEvent,
    Context,
    Call,
    ReturnData,
    Abort,
    GasLeft,
    AuthorizeUpgrade,
    ChainInfo,
    GovUpgradePackage,
    GovSetParams,
    GovSetNextValidators,
    GovEndEpoch,
    GovCall,
    CoinBalance,
    CoinSend,
    GovScheduleUpgrade,
}

use ValType::{I32, I64};

/// `(function, import name, params, results)`, in the order of the ABI table.
const TABLE: &[(HostFn, &str, &[ValType], &[ValType])] = &[
    (HostFn::BufferRead, "buffer_read", &[I32], &[]),
    (HostFn::StorageGet, "storage_get", &[I32, I32], &[I64]),
    (HostFn::StorageHas, "storage_has", &[I32, I32], &[I32]),
    (
        HostFn::StorageSet,
        "storage_set",
        &[I32, I32, I32, I32],
        &[],
    ),
    (HostFn::StorageRemove, "storage_remove", &[I32, I32], &[I32]),
    (
        HostFn::StorageNext,
        "storage_next",
        &[I32, I32, I32, I32, I32],
        &[I64],
    ),
    (
        HostFn::StorageGetForeign,
        "storage_get_foreign",
        &[I32, I32, I32],
        &[I64],
    ),
    (HostFn::EmitEvent, "emit_event", &[I32, I32, I32, I32], &[]),
    (HostFn::Context, "context", &[], &[I64]),
    (HostFn::Call, "call", &[I32, I32, I32, I32, I32], &[I64]),
    (HostFn::ReturnData, "return_data", &[I32, I32], &[]),
    (HostFn::Abort, "abort", &[I32, I32, I32], &[]),
    (HostFn::GasLeft, "gas_left", &[], &[I64]),
    (
        HostFn::AuthorizeUpgrade,
        "authorize_upgrade",
        &[I32, I32],
        &[],
    ),
    (HostFn::ChainInfo, "chain_info", &[I32], &[I64]),
    (
        HostFn::GovUpgradePackage,
        "gov_upgrade_package",
        &[I32, I32, I32],
        &[],
    ),
    (HostFn::GovSetParams, "gov_set_params", &[I32, I32], &[]),
    (
        HostFn::GovSetNextValidators,
        "gov_set_next_validators",
        &[I32, I32],
        &[],
    ),
    (HostFn::GovEndEpoch, "gov_end_epoch", &[], &[]),
    (
        HostFn::GovCall,
        "gov_call",
        &[I32, I32, I32, I32, I32],
        &[I64],
    ),
    (HostFn::CoinBalance, "coin_balance", &[I32], &[I64]),
    (HostFn::CoinSend, "coin_send", &[I32, I64], &[I32]),
    (
        HostFn::GovScheduleUpgrade,
        "gov_schedule_upgrade",
        &[I32, I32],
        &[],
    ),
];

impl HostFn {
    /// The host function imported as `molt.<name>`, with its signature.
    pub(crate) fn lookup(name: &str) -> Option<(HostFn, &'static [ValType], &'static [ValType])> {
        TABLE
            .iter()
            .find(|(_, n, _, _)| *n == name)
            .map(|(f, _, p, r)| (*f, *p, *r))
    }
}

/// `(i32, i32) -> i64` style rendering of a Wasm signature, for errors.
pub(crate) fn signature_text(params: &[ValType], results: &[ValType]) -> String {
    fn ty(t: &ValType) -> &'static str {
        match t {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        }
    }
    let p: Vec<&str> = params.iter().map(ty).collect();
    let r: Vec<&str> = results.iter().map(ty).collect();
    format!("({}) -> ({})", p.join(", "), r.join(", "))
}

/// What `molt.context` returns (borsh; the field order is frozen by the ABI).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Context {
    /// The account or program that called this function.
    pub caller: Address,
    /// The transaction's sender.
    pub origin: Address,
    pub block_height: u64,
    /// From the block header, never the wall clock.
    pub block_time_ms: u64,
    /// This version's package id.
    pub package_id: Address,
    /// The package's permanent id: its storage namespace.
    pub original_id: Address,
    pub version: u64,
    pub edition: u16,
    /// SHA3-256 of this version's module bytes.
    pub checksum: Digest,
    pub owner: Address,
    /// True in the ticket call of an `Upgrade` transaction and in every call
    /// it makes: the only calls in which `molt.authorize_upgrade` may issue a
    /// ticket. A program that consumes approvals when it authorizes can
    /// refuse early when this is false.
    pub ticket_call: bool,
    /// The coin the transaction attached to this call, already in the
    /// package's account; 0 in a call another program makes, in
    /// constructors, `init` and queries.
    pub attached_coin: u64,
}

/// One version of a package, as the VM needs to know it to run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageInfo {
    pub package_id: Address,
    pub original_id: Address,
    pub version: u64,
    pub edition: u16,
    pub owner: Address,
    /// SHA3-256 of the module bytes: the module cache key.
    pub checksum: Digest,
}

/// Who calls, when, and which package: the inputs of [`Vm::call`](crate::Vm::call)
/// from which the VM builds the program's [`Context`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    pub caller: Address,
    pub origin: Address,
    pub block_height: u64,
    pub block_time_ms: u64,
    pub package: PackageInfo,
    /// This is the ticket call of an `Upgrade` transaction (see
    /// [`Context::ticket_call`]).
    pub ticket_call: bool,
    /// The coin the transaction attached to this call, already moved to the
    /// package's account by the runtime ([`Context::attached_coin`]); 0 for
    /// constructors, `init` and queries. Calls the program makes carry none.
    pub attached_coin: u64,
}

impl CallContext {
    pub(crate) fn to_context(&self) -> Context {
        Context {
            caller: self.caller,
            origin: self.origin,
            block_height: self.block_height,
            block_time_ms: self.block_time_ms,
            package_id: self.package.package_id,
            original_id: self.package.original_id,
            version: self.package.version,
            edition: self.package.edition,
            checksum: self.package.checksum,
            owner: self.package.owner,
            ticket_call: self.ticket_call,
            attached_coin: self.attached_coin,
        }
    }
}

/// Which entry point of a module to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallTarget {
    /// A declared function, by name; transactions may call `public` and
    /// `entry` functions.
    Function(String),
    /// `molt:init`, run once at first publish.
    Init,
    /// `molt:constructor`, run at publish and at every upgrade.
    Constructor,
}

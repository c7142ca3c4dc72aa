//! The framework's host calls (DESIGN.md 3, docs/framework.md): chain facts
//! any program may read, and the privileged calls only framework packages
//! may make.
//!
//! **Reads** ([`epoch`], [`validators`], [`next_validators`],
//! [`params_bytes`], [`next_params_bytes`], [`block_proposer`]) are `molt.chain_info` and work in
//! every program, views included.
//!
//! **Privileged calls** ([`upgrade_package`], [`set_params`],
//! [`set_next_validators`], [`end_epoch`], [`call_as_governance`],
//! [`schedule_upgrade`]) work only
//! in a program whose original id is a framework address (`0x1`..`0xff`,
//! installed by genesis). For any other program the node ends the call with
//! the trap `NotPrivileged` (the native test host aborts with
//! [`NOT_PRIVILEGED`]); the decision comes from the running package's
//! original id, never from the module. A refusal of an admitted call (an
//! incompatible upgrade, invalid parameters) also ends the call: there is
//! nothing to handle, and the whole transaction is undone.
//!
//! Scheduled parameters and validator sets take over at the next epoch
//! boundary, which [`end_epoch`] brings to the next block; an upgrade runs
//! from the next transaction.

use alloc::vec::Vec;
use borsh::BorshDeserialize;
use molt_types::Address;

/// The code with which the native test host reports a refused privileged
/// call (`TrapCode::NotPrivileged` on the node).
pub const NOT_PRIVILEGED: u32 = 1_000_036;

/// A validator as the chain records it: address, ed25519 public key, power.
pub type ValidatorRecord = (Address, [u8; 32], u64);

fn decode<T: BorshDeserialize>(bytes: &[u8]) -> Option<T> {
    borsh::from_slice(bytes).ok()
}

/// The current epoch and the height of its first block.
pub fn epoch() -> (u64, u64) {
    crate::sys::chain_info_bytes(0)
        .and_then(|b| decode(&b))
        .unwrap_or((0, 0))
}

/// The current epoch's validators.
pub fn validators() -> Vec<ValidatorRecord> {
    crate::sys::chain_info_bytes(1)
        .and_then(|b| decode(&b))
        .unwrap_or_default()
}

/// The validators scheduled for the next epoch, if any.
pub fn next_validators() -> Option<Vec<ValidatorRecord>> {
    crate::sys::chain_info_bytes(2).and_then(|b| decode(&b))
}

/// The chain parameters in force (the node's `ChainParams`, borsh).
pub fn params_bytes() -> Vec<u8> {
    crate::sys::chain_info_bytes(3).unwrap_or_default()
}

/// The parameters scheduled for the next epoch, if any.
pub fn next_params_bytes() -> Option<Vec<u8>> {
    crate::sys::chain_info_bytes(4)
}

/// The proposer of the block this transaction runs in; `None` in a view.
pub fn block_proposer() -> Option<Address> {
    crate::sys::chain_info_bytes(5).and_then(|b| decode(&b))
}

/// Privileged: upgrades framework package `package` to `module` without its
/// cap, checked under `compatible`. The next transaction runs it.
pub fn upgrade_package(package: &Address, module: &[u8]) {
    crate::sys::gov_upgrade_package(package, module)
}

/// Privileged: schedules `params` (the borsh of the node's full
/// `ChainParams`) for the next epoch boundary; the node validates them.
pub fn set_params(params: &[u8]) {
    crate::sys::gov_set_params(params)
}

/// Privileged: schedules the next epoch's validator set.
pub fn set_next_validators(validators: &[ValidatorRecord]) {
    crate::sys::gov_set_next_validators(&crate::__private::encode(&validators.to_vec()))
}

/// Privileged: schedules the protocol (binary) upgrade `plan`: binaries
/// older than its version stop after its height (docs/protocol-upgrades.md).
/// The node checks it as every plan (semver, height not passed, at least one
/// `<os>-<arch>` binary, no downgrade); a refusal ends the call.
pub fn schedule_upgrade(plan: &crate::UpgradePlan) {
    crate::sys::gov_schedule_upgrade(&crate::__private::encode(plan))
}

/// Privileged: the next block starts a new epoch.
pub fn end_epoch() {
    crate::sys::gov_end_epoch()
}

/// Privileged: calls `func` (a `public` or `entry` function) of `package`
/// with borsh `args`, this framework package as caller; the result bytes.
pub fn call_as_governance(package: &Address, func: &str, args: &[u8]) -> Vec<u8> {
    crate::sys::gov_call(package, func, args)
}

//! The privileged host functions (docs/host-abi.md, "Privileged calls") and
//! `molt.chain_info`.
//!
//! Each privileged function first asks [`privilege::admit`] whether the
//! running package may use it, from the original id in the call's context:
//! the id the host recorded for the package version that runs, fixed when
//! the call started, never read from the module. A refusal is
//! [`VmError::NotPrivileged`] before any gas beyond the host-call base is
//! charged or any state is read. Admitted calls are writes (they trap in a
//! view) and are undone with the call's other writes if it fails.

use crate::config::price;
use crate::error::VmError;
use crate::governance::{ChainInfo, GovernanceRefusal, GovernanceUpgrade};
use crate::imports::{
    Ctx, call_as, charge, len_result, limit, memory, range, read_address, write_guard,
};
use molt_host_rules::CallOrigin;
use molt_host_rules::privilege::{self, PrivilegedCall};
use molt_types::{Event, sha3_256};

/// Refuses `call` unless the running package is a framework package.
fn admit(c: &mut Ctx<'_, '_>, call: PrivilegedCall) -> Result<(), VmError> {
    let gas = c.data().vm.config().gas.host_call;
    charge(c, gas)?;
    privilege::admit(call, &c.data().context.original_id).map_err(VmError::NotPrivileged)
}

fn refused(call: PrivilegedCall, refusal: GovernanceRefusal) -> VmError {
    VmError::GovernanceRefused {
        function: call.import_name(),
        refusal,
    }
}

/// `chain_info(what) -> i64`: `-1` if the host has no such fact, else its
/// length, in the buffer. Readable by every program.
pub(crate) fn chain_info(c: &mut Ctx<'_, '_>, what: i32) -> Result<i64, VmError> {
    let gas = &c.data().vm.config().gas;
    let (base, per_byte) = (
        gas.host_call.saturating_add(gas.storage_read),
        gas.storage_read_per_byte,
    );
    charge(c, base)?;
    let kind = ChainInfo::from_code(what).ok_or_else(|| VmError::Trap {
        code: molt_types::TrapCode::Other,
        message: format!("chain_info: unknown kind {what} (0..=4 are defined)"),
    })?;
    let s = c.data_mut();
    let result = match s.host.chain_info(kind)? {
        Some(bytes) => {
            let len = len_result(bytes.len());
            s.buffer = bytes;
            len
        }
        None => -1,
    };
    charge(c, price(0, per_byte, result.max(0) as usize))?;
    Ok(result)
}

/// `gov_upgrade_package(package, module, module_len)`.
pub(crate) fn upgrade_package(
    c: &mut Ctx<'_, '_>,
    package: i32,
    m: i32,
    ml: i32,
) -> Result<(), VmError> {
    let call = PrivilegedCall::UpgradePackage;
    admit(c, call)?;
    write_guard(c, call.import_name())?;
    let config = c.data().vm.config();
    let gas = &config.gas;
    let module_len = ml as u32 as usize;
    limit("module", module_len, config.max_module_size)?;
    charge(
        c,
        price(gas.storage_write, gas.storage_write_per_byte, module_len),
    )?;
    let memory = memory(c)?;
    let (mem, s) = memory.data_and_store_mut(&mut *c);
    let package = read_address(mem, call.import_name(), package)?;
    let module = mem[range(call.import_name(), mem.len(), m, ml)?].to_vec();
    let prepared =
        s.vm.prepare(&module)
            .map_err(|e| VmError::GovernanceModuleInvalid {
                package,
                error: Box::new(e),
            })?;
    let request = GovernanceUpgrade {
        package,
        module: &module,
        interface: prepared.interface(),
        checksum: sha3_256(&module),
        height: s.context.block_height,
    };
    let info = s
        .host
        .governance_upgrade(request)?
        .map_err(|r| refused(call, r))?;
    s.host.emit_event(Event {
        emitter: info.original_id,
        name: "PackageUpgraded".into(),
        data: molt_types::encode(&(info.package_id, info.version, info.edition, info.checksum)),
    })?;
    Ok(())
}

/// `gov_set_params(params, len)`: the node's borsh `ChainParams`.
pub(crate) fn set_params(c: &mut Ctx<'_, '_>, p: i32, l: i32) -> Result<(), VmError> {
    scheduled(c, PrivilegedCall::SetParams, p, l)
}

/// `gov_schedule_upgrade(plan, len)`: a borsh `UpgradePlan`.
pub(crate) fn schedule_upgrade(c: &mut Ctx<'_, '_>, p: i32, l: i32) -> Result<(), VmError> {
    scheduled(c, PrivilegedCall::ScheduleUpgrade, p, l)
}

/// `gov_set_next_validators(validators, len)`.
pub(crate) fn set_next_validators(c: &mut Ctx<'_, '_>, p: i32, l: i32) -> Result<(), VmError> {
    scheduled(c, PrivilegedCall::SetNextValidators, p, l)
}

fn scheduled(c: &mut Ctx<'_, '_>, call: PrivilegedCall, p: i32, l: i32) -> Result<(), VmError> {
    admit(c, call)?;
    write_guard(c, call.import_name())?;
    let config = c.data().vm.config();
    let gas = &config.gas;
    let len = l as u32 as usize;
    limit("governance value", len, config.max_value_size)?;
    charge(c, price(gas.storage_write, gas.storage_write_per_byte, len))?;
    let memory = memory(c)?;
    let (mem, s) = memory.data_and_store_mut(&mut *c);
    let bytes = &mem[range(call.import_name(), mem.len(), p, l)?];
    let outcome = match call {
        PrivilegedCall::SetParams => s.host.schedule_params(bytes)?,
        PrivilegedCall::ScheduleUpgrade => {
            s.host.schedule_upgrade(bytes, s.context.block_height)?
        }
        _ => s.host.schedule_validators(bytes)?,
    };
    outcome.map_err(|r| refused(call, r))
}

/// `gov_end_epoch()`.
pub(crate) fn end_epoch(c: &mut Ctx<'_, '_>) -> Result<(), VmError> {
    let call = PrivilegedCall::EndEpoch;
    admit(c, call)?;
    write_guard(c, call.import_name())?;
    let gas = c.data().vm.config().gas.storage_write;
    charge(c, gas)?;
    c.data_mut().host.end_epoch()?.map_err(|r| refused(call, r))
}

/// `gov_call(package, func, func_len, args, args_len) -> i64`: like
/// `molt.call`, but `entry` functions are callable too.
pub(crate) fn gov_call(
    c: &mut Ctx<'_, '_>,
    package: i32,
    f: i32,
    fl: i32,
    a: i32,
    al: i32,
) -> Result<i64, VmError> {
    admit(c, PrivilegedCall::CallAsGovernance)?;
    call_as(c, package, f, fl, a, al, CallOrigin::Transaction)
}

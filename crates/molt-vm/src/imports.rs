//! The host functions of module `molt` (docs/host-abi.md). Each one charges
//! its gas first, checks every pointer range against linear memory, and ends
//! the call with a typed [`VmError`] (kept in the session) on any fault.

use crate::abi::{CallTarget, Context, HostFn};
use crate::config::price;
use crate::error::VmError;
use crate::exec::{Invocation, Session, execute, resolve_entry};
use crate::host::UpgradeTicket;
use crate::{coin, privileged};
use molt_host_rules::{CallOrigin, Resolution, calls, tickets};
use molt_types::{Address, Digest, Event};
use wasmi::{Caller, Func, Memory, Store};

pub(crate) type Ctx<'c, 'a> = Caller<'c, Session<'a>>;

/// The wasmi function for `f`, bound to `store`.
pub(crate) fn host_func<'a>(store: &mut Store<Session<'a>>, f: HostFn) -> Func {
    // Closures capture nothing, so they are `'static` as wasmi requires even
    // though the session borrows the host.
    match f {
        HostFn::BufferRead => Func::wrap(store, |mut c: Ctx<'_, 'a>, dst: i32| {
            let r = buffer_read(&mut c, dst);
            lift(&mut c, r)
        }),
        HostFn::StorageGet => Func::wrap(store, |mut c: Ctx<'_, 'a>, k: i32, kl: i32| {
            let r = storage_get(&mut c, None, k, kl);
            lift(&mut c, r)
        }),
        HostFn::StorageHas => Func::wrap(store, |mut c: Ctx<'_, 'a>, k: i32, kl: i32| {
            let r = storage_has(&mut c, k, kl);
            lift(&mut c, r)
        }),
        HostFn::StorageSet => Func::wrap(
            store,
            |mut c: Ctx<'_, 'a>, k: i32, kl: i32, v: i32, vl: i32| {
                let r = storage_set(&mut c, k, kl, v, vl);
                lift(&mut c, r)
            },
        ),
        HostFn::StorageRemove => Func::wrap(store, |mut c: Ctx<'_, 'a>, k: i32, kl: i32| {
            let r = storage_remove(&mut c, k, kl);
            lift(&mut c, r)
        }),
        HostFn::StorageNext => Func::wrap(
            store,
            |mut c: Ctx<'_, 'a>, p: i32, pl: i32, a: i32, al: i32, flags: i32| {
                let r = storage_next(&mut c, p, pl, a, al, flags);
                lift(&mut c, r)
            },
        ),
        HostFn::StorageGetForeign => Func::wrap(
            store,
            |mut c: Ctx<'_, 'a>, program: i32, k: i32, kl: i32| {
                let r = storage_get(&mut c, Some(program), k, kl);
                lift(&mut c, r)
            },
        ),
        HostFn::EmitEvent => Func::wrap(
            store,
            |mut c: Ctx<'_, 'a>, n: i32, nl: i32, d: i32, dl: i32| {
                let r = emit_event(&mut c, n, nl, d, dl);
                lift(&mut c, r)
            },
        ),
        HostFn::Context => Func::wrap(store, |mut c: Ctx<'_, 'a>| {
            let r = context(&mut c);
            lift(&mut c, r)
        }),
        HostFn::Call => Func::wrap(
            store,
            |mut c: Ctx<'_, 'a>, package: i32, f: i32, fl: i32, args: i32, al: i32| {
                let r = call(&mut c, package, f, fl, args, al);
                lift(&mut c, r)
            },
        ),
        HostFn::ReturnData => Func::wrap(store, |mut c: Ctx<'_, 'a>, p: i32, l: i32| {
            let r = return_data(&mut c, p, l);
            lift(&mut c, r)
        }),
        HostFn::Abort => Func::wrap(store, |mut c: Ctx<'_, 'a>, code: i32, m: i32, ml: i32| {
            let r = abort(&mut c, code, m, ml);
            lift(&mut c, r)
        }),
        HostFn::GasLeft => Func::wrap(store, |mut c: Ctx<'_, 'a>| {
            let r = gas_left(&mut c);
            lift(&mut c, r)
        }),
        HostFn::AuthorizeUpgrade => Func::wrap(store, |mut c: Ctx<'_, 'a>, cap: i32, d: i32| {
            let r = authorize_upgrade(&mut c, cap, d);
            lift(&mut c, r)
        }),
        HostFn::ChainInfo => Func::wrap(store, |mut c: Ctx<'_, 'a>, what: i32| {
            let r = privileged::chain_info(&mut c, what);
            lift(&mut c, r)
        }),
        HostFn::GovUpgradePackage => Func::wrap(
            store,
            |mut c: Ctx<'_, 'a>, package: i32, m: i32, ml: i32| {
                let r = privileged::upgrade_package(&mut c, package, m, ml);
                lift(&mut c, r)
            },
        ),
        HostFn::GovSetParams => Func::wrap(store, |mut c: Ctx<'_, 'a>, p: i32, l: i32| {
            let r = privileged::set_params(&mut c, p, l);
            lift(&mut c, r)
        }),
        HostFn::GovSetNextValidators => Func::wrap(store, |mut c: Ctx<'_, 'a>, p: i32, l: i32| {
            let r = privileged::set_next_validators(&mut c, p, l);
            lift(&mut c, r)
        }),
        HostFn::GovEndEpoch => Func::wrap(store, |mut c: Ctx<'_, 'a>| {
            let r = privileged::end_epoch(&mut c);
            lift(&mut c, r)
        }),
        HostFn::GovCall => Func::wrap(
            store,
            |mut c: Ctx<'_, 'a>, package: i32, f: i32, fl: i32, args: i32, al: i32| {
                let r = privileged::gov_call(&mut c, package, f, fl, args, al);
                lift(&mut c, r)
            },
        ),
        HostFn::CoinBalance => Func::wrap(store, |mut c: Ctx<'_, 'a>, account: i32| {
            let r = coin::balance(&mut c, account);
            lift(&mut c, r)
        }),
        HostFn::CoinSend => Func::wrap(store, |mut c: Ctx<'_, 'a>, to: i32, amount: i64| {
            let r = coin::send(&mut c, to, amount);
            lift(&mut c, r)
        }),
        HostFn::GovScheduleUpgrade => Func::wrap(store, |mut c: Ctx<'_, 'a>, p: i32, l: i32| {
            let r = privileged::schedule_upgrade(&mut c, p, l);
            lift(&mut c, r)
        }),
    }
}

/// Keeps a host function's error in the session (where `exec` finds it) and
/// hands wasmi an opaque trap.
fn lift<T>(c: &mut Ctx<'_, '_>, result: Result<T, VmError>) -> Result<T, wasmi::Error> {
    result.map_err(|e| {
        c.data_mut().failure = Some(e);
        wasmi::Error::new("molt host function failed")
    })
}

pub(crate) fn charge(c: &mut Ctx<'_, '_>, amount: u64) -> Result<(), VmError> {
    let fuel = c.get_fuel().unwrap_or(0);
    let left = fuel.checked_sub(amount);
    // Setting fuel only fails when metering is off, which `Vm::new` never does.
    let _ = c.set_fuel(left.unwrap_or(0));
    left.map(|_| ()).ok_or(VmError::OutOfGas {
        gas_used: 0,
        limit: 0,
    })
}

pub(crate) fn memory(c: &Ctx<'_, '_>) -> Result<Memory, VmError> {
    c.data().memory.ok_or_else(|| VmError::Trap {
        code: molt_types::TrapCode::NoMemory,
        message: "host function called before the instance was ready (from a start function?)"
            .to_string(),
    })
}

/// Guest range `ptr..ptr+len`, bounds-checked; pointers and lengths are
/// unsigned 32-bit offsets.
pub(crate) fn range(
    function: &'static str,
    mem_len: usize,
    ptr: i32,
    len: i32,
) -> Result<std::ops::Range<usize>, VmError> {
    let (ptr, len) = (ptr as u32, len as u32);
    let start = ptr as usize;
    match start.checked_add(len as usize) {
        Some(end) if end <= mem_len => Ok(start..end),
        _ => Err(VmError::MemoryOutOfBounds {
            function,
            ptr,
            len,
            memory_size: mem_len,
        }),
    }
}

pub(crate) fn limit(what: &'static str, size: usize, limit: usize) -> Result<(), VmError> {
    if size > limit {
        Err(VmError::LimitExceeded { what, size, limit })
    } else {
        Ok(())
    }
}

pub(crate) fn write_guard(c: &Ctx<'_, '_>, operation: &'static str) -> Result<(), VmError> {
    if c.data().view {
        Err(VmError::WriteInView { operation })
    } else {
        Ok(())
    }
}

pub(crate) fn len_result(len: usize) -> i64 {
    i64::try_from(len).unwrap_or(i64::MAX)
}

fn buffer_read(c: &mut Ctx<'_, '_>, dst: i32) -> Result<(), VmError> {
    let gas = &c.data().vm.config().gas;
    charge(
        c,
        price(gas.host_call, gas.copy_per_byte, c.data().buffer.len()),
    )?;
    let memory = memory(c)?;
    let (mem, s) = memory.data_and_store_mut(&mut *c);
    let r = range("buffer_read", mem.len(), dst, s.buffer.len() as i32)?;
    mem[r].copy_from_slice(&s.buffer);
    Ok(())
}

/// `storage_get` and, with `foreign = Some(ptr to a 32-byte id)`,
/// `storage_get_foreign`.
fn storage_get(c: &mut Ctx<'_, '_>, foreign: Option<i32>, k: i32, kl: i32) -> Result<i64, VmError> {
    let function = if foreign.is_some() {
        "storage_get_foreign"
    } else {
        "storage_get"
    };
    let config = c.data().vm.config();
    let gas = &config.gas;
    let key_len = kl as u32 as usize;
    limit("storage key", key_len, config.max_key_size)?;
    charge(
        c,
        price(
            gas.host_call.saturating_add(gas.storage_read),
            gas.storage_read_per_byte,
            key_len,
        ),
    )?;
    let per_byte = gas.storage_read_per_byte;
    let memory = memory(c)?;
    let (mem, s) = memory.data_and_store_mut(&mut *c);
    let namespace = match foreign {
        Some(p) => read_address(mem, function, p)?,
        None => s.context.original_id,
    };
    let key = &mem[range(function, mem.len(), k, kl)?];
    let value = s.host.storage_get(&namespace, key)?;
    let result = match value {
        Some(v) => {
            let len = v.len();
            s.buffer = v;
            len_result(len)
        }
        None => -1,
    };
    charge(c, price(0, per_byte, result.max(0) as usize))?;
    Ok(result)
}

pub(crate) fn read_address(
    mem: &[u8],
    function: &'static str,
    ptr: i32,
) -> Result<Address, VmError> {
    let bytes = &mem[range(function, mem.len(), ptr, 32)?];
    let mut id = [0u8; 32];
    id.copy_from_slice(bytes);
    Ok(Address(id))
}

fn storage_has(c: &mut Ctx<'_, '_>, k: i32, kl: i32) -> Result<i32, VmError> {
    let config = c.data().vm.config();
    let gas = &config.gas;
    let key_len = kl as u32 as usize;
    limit("storage key", key_len, config.max_key_size)?;
    charge(
        c,
        price(
            gas.host_call.saturating_add(gas.storage_read),
            gas.storage_read_per_byte,
            key_len,
        ),
    )?;
    let memory = memory(c)?;
    let (mem, s) = memory.data_and_store_mut(&mut *c);
    let key = &mem[range("storage_has", mem.len(), k, kl)?];
    Ok(i32::from(s.host.storage_has(&s.context.original_id, key)?))
}

fn storage_set(c: &mut Ctx<'_, '_>, k: i32, kl: i32, v: i32, vl: i32) -> Result<(), VmError> {
    write_guard(c, "storage_set")?;
    let config = c.data().vm.config();
    let gas = &config.gas;
    let (key_len, value_len) = (kl as u32 as usize, vl as u32 as usize);
    limit("storage key", key_len, config.max_key_size)?;
    limit("storage value", value_len, config.max_value_size)?;
    let base = gas.host_call.saturating_add(gas.storage_write);
    charge(
        c,
        price(
            base,
            gas.storage_write_per_byte,
            key_len.saturating_add(value_len),
        ),
    )?;
    let memory = memory(c)?;
    let (mem, s) = memory.data_and_store_mut(&mut *c);
    let key = &mem[range("storage_set", mem.len(), k, kl)?];
    let value = &mem[range("storage_set", mem.len(), v, vl)?];
    s.host.storage_set(&s.context.original_id, key, value)?;
    Ok(())
}

fn storage_remove(c: &mut Ctx<'_, '_>, k: i32, kl: i32) -> Result<i32, VmError> {
    write_guard(c, "storage_remove")?;
    let config = c.data().vm.config();
    let gas = &config.gas;
    let key_len = kl as u32 as usize;
    limit("storage key", key_len, config.max_key_size)?;
    let base = gas.host_call.saturating_add(gas.storage_remove);
    charge(c, price(base, gas.copy_per_byte, key_len))?;
    let memory = memory(c)?;
    let (mem, s) = memory.data_and_store_mut(&mut *c);
    let key = &mem[range("storage_remove", mem.len(), k, kl)?];
    Ok(i32::from(
        s.host.storage_remove(&s.context.original_id, key)?,
    ))
}

fn storage_next(
    c: &mut Ctx<'_, '_>,
    p: i32,
    pl: i32,
    a: i32,
    al: i32,
    flags: i32,
) -> Result<i64, VmError> {
    if flags & !1 != 0 {
        return Err(VmError::Trap {
            code: molt_types::TrapCode::Other,
            message: format!(
                "storage_next: unknown flags {flags:#x} (only bit 0, \"after\", is defined)"
            ),
        });
    }
    let has_after = flags & 1 != 0;
    let config = c.data().vm.config();
    let gas = &config.gas;
    let (prefix_len, after_len) = (
        pl as u32 as usize,
        if has_after { al as u32 as usize } else { 0 },
    );
    limit("storage key prefix", prefix_len, config.max_key_size)?;
    limit("storage key", after_len, config.max_key_size)?;
    let base = gas.host_call.saturating_add(gas.storage_read);
    charge(
        c,
        price(
            base,
            gas.copy_per_byte,
            prefix_len.saturating_add(after_len),
        ),
    )?;
    let per_byte = gas.storage_read_per_byte;
    let memory = memory(c)?;
    let (mem, s) = memory.data_and_store_mut(&mut *c);
    let prefix = &mem[range("storage_next", mem.len(), p, pl)?];
    let after = if has_after {
        Some(&mem[range("storage_next", mem.len(), a, al)?])
    } else {
        None
    };
    let after = molt_host_rules::storage::start(prefix, after).after();
    let found = s.host.storage_next(&s.context.original_id, prefix, after)?;
    let result = match found {
        Some(entry) => {
            s.buffer = borsh::to_vec(&entry).map_err(|e| VmError::Host {
                message: e.to_string(),
            })?;
            len_result(s.buffer.len())
        }
        None => -1,
    };
    charge(c, price(0, per_byte, result.max(0) as usize))?;
    Ok(result)
}

fn emit_event(c: &mut Ctx<'_, '_>, n: i32, nl: i32, d: i32, dl: i32) -> Result<(), VmError> {
    write_guard(c, "emit_event")?;
    let config = c.data().vm.config();
    let gas = &config.gas;
    let size = (nl as u32 as usize).saturating_add(dl as u32 as usize);
    limit("event", size, config.max_event_size)?;
    charge(
        c,
        price(
            gas.host_call.saturating_add(gas.event),
            gas.event_per_byte,
            size,
        ),
    )?;
    let memory = memory(c)?;
    let (mem, s) = memory.data_and_store_mut(&mut *c);
    let name = std::str::from_utf8(&mem[range("emit_event", mem.len(), n, nl)?])
        .map_err(|_| VmError::InvalidUtf8 { what: "event name" })?;
    if !s.module.interface().events.iter().any(|e| e.name == name) {
        return Err(VmError::UndeclaredEvent {
            name: name.to_string(),
        });
    }
    let data = mem[range("emit_event", mem.len(), d, dl)?].to_vec();
    let event = Event {
        emitter: s.context.original_id,
        name: name.to_string(),
        data,
    };
    s.host.emit_event(event)?;
    Ok(())
}

fn context(c: &mut Ctx<'_, '_>) -> Result<i64, VmError> {
    let gas = &c.data().vm.config().gas;
    charge(c, gas.host_call)?;
    let s = c.data_mut();
    s.buffer = borsh::to_vec(&s.context).map_err(|e| VmError::Host {
        message: e.to_string(),
    })?;
    Ok(len_result(s.buffer.len()))
}

fn call(
    c: &mut Ctx<'_, '_>,
    package: i32,
    f: i32,
    fl: i32,
    a: i32,
    al: i32,
) -> Result<i64, VmError> {
    call_as(c, package, f, fl, a, al, CallOrigin::Program)
}

/// `molt.call`, and with `origin = Transaction` `molt.gov_call` (which may
/// also reach `entry` functions): the callee sees the running program's
/// original id as its caller.
pub(crate) fn call_as(
    c: &mut Ctx<'_, '_>,
    package: i32,
    f: i32,
    fl: i32,
    a: i32,
    al: i32,
    origin: CallOrigin,
) -> Result<i64, VmError> {
    let config = c.data().vm.config();
    let gas = &config.gas;
    let args_len = al as u32 as usize;
    limit("call arguments", args_len, config.max_return_size)?;
    limit("function name", fl as u32 as usize, 256)?;
    let bytes = (fl as u32 as usize).saturating_add(args_len);
    charge(
        c,
        price(
            gas.host_call.saturating_add(gas.call),
            gas.copy_per_byte,
            bytes,
        ),
    )?;
    let depth = c.data().depth.saturating_add(1);
    if !calls::depth_allowed(depth, config.max_call_depth) {
        return Err(VmError::CallDepthExceeded {
            limit: config.max_call_depth,
        });
    }
    let available = c.get_fuel().unwrap_or(0);
    let memory = memory(c)?;
    let (mem, s) = memory.data_and_store_mut(&mut *c);
    let package = read_address(mem, "call", package)?;
    let name = std::str::from_utf8(&mem[range("call", mem.len(), f, fl)?])
        .map_err(|_| VmError::InvalidUtf8 {
            what: "function name",
        })?
        .to_string();
    let args = mem[range("call", mem.len(), a, al)?].to_vec();

    let vm = s.vm;
    // A declared dependency is linked at its exact version (DESIGN.md 2.1):
    // upgrading the dependency does not relink this package.
    let info = match calls::resolution(&s.module.interface().dependencies, &package) {
        Resolution::Pinned { version } => s.host.resolve_version(&package, version)?,
        Resolution::AsNamed => s.host.resolve_package(&package)?,
    }
    .ok_or(VmError::UnknownPackage { package })?;
    let callee = vm.load(&mut *s.host, &info)?;
    let entry = resolve_entry(&callee, &CallTarget::Function(name), origin)?;
    let context = Context {
        caller: s.context.original_id,
        origin: s.context.origin,
        block_height: s.context.block_height,
        block_time_ms: s.context.block_time_ms,
        package_id: info.package_id,
        original_id: info.original_id,
        version: info.version,
        edition: info.edition,
        checksum: info.checksum,
        owner: info.owner,
        ticket_call: s.context.ticket_call,
        attached_coin: 0,
    };
    let invocation = Invocation {
        entry: &entry,
        args: &args,
        context,
        view: calls::runs_as_view(s.view, entry.view),
        depth,
    };
    let (result, used) = execute(vm, &mut *s.host, &callee, invocation, available);
    let _ = c.set_fuel(available.saturating_sub(used));
    let data = result?;
    limit("call result", data.len(), config.max_return_size)?;
    let len = len_result(data.len());
    c.data_mut().buffer = data;
    Ok(len)
}

fn return_data(c: &mut Ctx<'_, '_>, p: i32, l: i32) -> Result<(), VmError> {
    let config = c.data().vm.config();
    let len = l as u32 as usize;
    limit("return data", len, config.max_return_size)?;
    charge(
        c,
        price(config.gas.host_call, config.gas.copy_per_byte, len),
    )?;
    let memory = memory(c)?;
    let (mem, s) = memory.data_and_store_mut(&mut *c);
    s.return_data = Some(mem[range("return_data", mem.len(), p, l)?].to_vec());
    Ok(())
}

fn abort(c: &mut Ctx<'_, '_>, code: i32, m: i32, ml: i32) -> Result<(), VmError> {
    let config = c.data().vm.config();
    let kept = (ml as u32 as usize).min(config.max_abort_message);
    charge(
        c,
        price(config.gas.host_call, config.gas.copy_per_byte, kept),
    )?;
    let memory = memory(c)?;
    let mem = memory.data(&*c);
    let r = range("abort", mem.len(), m, ml)?;
    let bytes = &mem[r.start..r.start + kept];
    let message = String::from_utf8_lossy(bytes).into_owned();
    Err(VmError::Aborted {
        code: code as u32,
        message,
    })
}

fn gas_left(c: &mut Ctx<'_, '_>) -> Result<i64, VmError> {
    let gas = &c.data().vm.config().gas;
    charge(c, gas.host_call)?;
    Ok(i64::try_from(c.get_fuel().unwrap_or(0)).unwrap_or(i64::MAX))
}

/// `authorize_upgrade(cap, digest)`: priced like a `storage_set` of the
/// 64 bytes it records (the ticket is transaction state); admitted by
/// [`tickets::admit`], recorded by the host.
fn authorize_upgrade(c: &mut Ctx<'_, '_>, cap: i32, d: i32) -> Result<(), VmError> {
    write_guard(c, "authorize_upgrade")?;
    let gas = &c.data().vm.config().gas;
    let base = gas.host_call.saturating_add(gas.storage_write);
    charge(c, price(base, gas.storage_write_per_byte, 64))?;
    let memory = memory(c)?;
    let (mem, s) = memory.data_and_store_mut(&mut *c);
    let cap = read_address(mem, "authorize_upgrade", cap)?;
    let digest = Digest(read_address(mem, "authorize_upgrade", d)?.0);
    let program = s.context.original_id;
    let admitted = tickets::admit(
        s.context.ticket_call,
        &program,
        &cap,
        &mut HostTickets(&mut *s.host),
    )?;
    if let Err(refusal) = admitted {
        return Err(VmError::UpgradeNotAuthorized {
            message: refusal.to_string(),
        });
    }
    s.host.record_ticket(UpgradeTicket {
        program,
        cap,
        digest,
    })?;
    Ok(())
}

/// A host's caps and tickets, as ticket admission asks for them.
struct HostTickets<'h>(&'h mut dyn crate::host::Host);

impl tickets::TicketState for HostTickets<'_> {
    type Error = crate::error::HostError;

    fn cap_owner(&mut self, cap: &Address) -> Result<Option<Address>, Self::Error> {
        self.0.upgrade_cap_owner(cap)
    }

    fn issued(&mut self, cap: &Address) -> Result<Option<Digest>, Self::Error> {
        self.0.issued_ticket(cap)
    }
}

#[cfg(test)]
mod tests {
    use super::range;

    #[test]
    fn ranges_are_checked_without_overflow() {
        assert_eq!(range("t", 10, 2, 3).unwrap(), 2..5);
        assert!(range("t", 10, 8, 3).is_err());
        assert!(range("t", 10, -1, 1).is_err());
        assert!(range("t", 10, 0, -1).is_err());
        assert_eq!(range("t", 10, 10, 0).unwrap(), 10..10);
    }
}

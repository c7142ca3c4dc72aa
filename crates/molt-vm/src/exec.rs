//! One execution of one entry point: a fresh store and instance, fuel set to
//! the gas limit, arguments placed through `molt_alloc`, the export called,
//! the outcome mapped to a [`VmError`], and the host's checkpoint committed
//! or reverted.

use crate::abi::{CallTarget, Context};
use crate::config::{WASM_PAGE_SIZE, price};
use crate::error::VmError;
use crate::host::Host;
use crate::imports;
use crate::module::PreparedModule;
use crate::vm::Vm;
use molt_host_rules::{CallOrigin, calls};
use molt_interface::{
    ALLOC_EXPORT, CONSTRUCTOR_EXPORT, FUNCTION_EXPORT_PREFIX, INIT_EXPORT, MEMORY_EXPORT, TypeRef,
};
use wasmi::errors::{ErrorKind, FuelError, MemoryError, TableError};
use wasmi::{Extern, Instance, Memory, ResourceLimiter, Store, TrapCode};
use wasmi_core::LimiterError;

/// Table elements an instance may grow to; tables only hold function
/// references for `call_indirect`.
const MAX_TABLE_ELEMENTS: usize = 10_000;

/// The store data of one execution: everything host functions need.
pub(crate) struct Session<'a> {
    pub(crate) vm: &'a Vm,
    pub(crate) host: &'a mut dyn Host,
    pub(crate) module: &'a PreparedModule,
    pub(crate) context: Context,
    /// A view call: writes and events trap.
    pub(crate) view: bool,
    /// Cross-program call depth, 1 for the transaction's call.
    pub(crate) depth: u32,
    pub(crate) memory: Option<Memory>,
    /// The host's result buffer, read with `molt.buffer_read`.
    pub(crate) buffer: Vec<u8>,
    pub(crate) return_data: Option<Vec<u8>>,
    /// Why a host function trapped; takes precedence over wasmi's error.
    pub(crate) failure: Option<VmError>,
    /// Pages a denied `memory.grow` asked for.
    denied_pages: Option<u64>,
}

impl ResourceLimiter for Session<'_> {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        if desired > self.vm.config().max_memory_bytes() {
            self.denied_pages = Some(desired.div_ceil(WASM_PAGE_SIZE) as u64);
            return Err(LimiterError::ResourceLimiterDeniedAllocation);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        // As wasmi's strict limits; rustc emits one table.
        100
    }

    fn memories(&self) -> usize {
        1
    }
}

/// An entry point resolved against a module's interface.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The declared name (for messages): the function name or the export.
    pub(crate) name: String,
    pub(crate) export: String,
    pub(crate) takes_args: bool,
    pub(crate) view: bool,
    pub(crate) returns_value: bool,
}

pub(crate) fn resolve_entry(
    module: &PreparedModule,
    target: &CallTarget,
    origin: CallOrigin,
) -> Result<Entry, VmError> {
    let interface = module.interface();
    let fixed = |export: &str, declared: bool, entry_point: &'static str| {
        if !declared {
            return Err(VmError::NoSuchEntryPoint { entry_point });
        }
        Ok(Entry {
            name: export.to_string(),
            export: export.to_string(),
            takes_args: false,
            view: false,
            returns_value: false,
        })
    };
    match target {
        CallTarget::Init => fixed(INIT_EXPORT, interface.init, "init (molt:init)"),
        CallTarget::Constructor => fixed(
            CONSTRUCTOR_EXPORT,
            interface.constructor.is_some(),
            "constructor (molt:constructor)",
        ),
        CallTarget::Function(name) => {
            let decl = interface
                .function(name)
                .ok_or_else(|| VmError::UnknownFunction { name: name.clone() })?;
            if !calls::may_call(decl.visibility, origin) {
                return Err(VmError::NotCallable {
                    name: name.clone(),
                    visibility: decl.visibility,
                    from: origin.describe(),
                });
            }
            Ok(Entry {
                name: name.clone(),
                export: format!("{FUNCTION_EXPORT_PREFIX}{name}"),
                takes_args: !decl.params.is_empty(),
                view: decl.view,
                returns_value: decl.returns != TypeRef::Unit,
            })
        }
    }
}

/// One call to run.
#[derive(Debug)]
pub(crate) struct Invocation<'x> {
    pub(crate) entry: &'x Entry,
    pub(crate) args: &'x [u8],
    pub(crate) context: Context,
    pub(crate) view: bool,
    pub(crate) depth: u32,
}

/// Runs `invocation` inside a host checkpoint; returns the result bytes (empty
/// for `()`) and the gas used, which on failure is what was burnt up to it
/// (all of `gas_limit` when out of gas).
pub(crate) fn execute(
    vm: &Vm,
    host: &mut dyn Host,
    module: &PreparedModule,
    invocation: Invocation<'_>,
    gas_limit: u64,
) -> (Result<Vec<u8>, VmError>, u64) {
    if !invocation.entry.takes_args && !invocation.args.is_empty() {
        let error = VmError::UnexpectedArguments {
            name: invocation.entry.name.clone(),
            len: invocation.args.len(),
        };
        return (Err(error), 0);
    }
    host.checkpoint();
    let (result, remaining) = {
        let session = Session {
            vm,
            host: &mut *host,
            module,
            context: invocation.context.clone(),
            view: invocation.view,
            depth: invocation.depth,
            memory: None,
            buffer: Vec::new(),
            return_data: None,
            failure: None,
            denied_pages: None,
        };
        let mut store = Store::new(vm.engine(), session);
        let result = run(&mut store, module, &invocation, gas_limit);
        (result, store.get_fuel().unwrap_or(0))
    };
    let (result, gas_used) = match result {
        Err(VmError::OutOfGas { .. }) => (
            Err(VmError::OutOfGas {
                gas_used: gas_limit,
                limit: gas_limit,
            }),
            gas_limit,
        ),
        other => (other, gas_limit.saturating_sub(remaining)),
    };
    match result {
        Ok(_) => host.commit(),
        Err(_) => host.revert(),
    }
    (result, gas_used)
}

fn run(
    store: &mut Store<Session<'_>>,
    module: &PreparedModule,
    invocation: &Invocation<'_>,
    gas_limit: u64,
) -> Result<Vec<u8>, VmError> {
    let internal = |e: wasmi::Error| VmError::Trap {
        code: molt_types::TrapCode::Other,
        message: e.to_string(),
    };
    store.set_fuel(gas_limit).map_err(internal)?;
    store.limiter(|session| session as &mut dyn ResourceLimiter);

    let externs: Vec<Extern> = module
        .imports
        .iter()
        .map(|f| Extern::Func(imports::host_func(&mut *store, *f)))
        .collect();
    let instance =
        Instance::new(&mut *store, &module.module, &externs).map_err(|e| failure(store, e))?;
    let memory =
        instance
            .get_memory(&*store, MEMORY_EXPORT)
            .ok_or_else(|| VmError::MissingExport {
                name: MEMORY_EXPORT.to_string(),
            })?;
    store.data_mut().memory = Some(memory);

    let entry = invocation.entry;
    if entry.takes_args {
        let args = invocation.args;
        let len = i32::try_from(args.len()).map_err(|_| VmError::LimitExceeded {
            what: "call arguments",
            size: args.len(),
            limit: i32::MAX as usize,
        })?;
        let copy = price(0, store.data().vm.config().gas.copy_per_byte, args.len());
        burn(store, copy)?;
        let alloc = instance
            .get_typed_func::<i32, i32>(&*store, ALLOC_EXPORT)
            .map_err(|e| failure(store, e))?;
        let ptr = alloc
            .call(&mut *store, len)
            .map_err(|e| failure(store, e))?;
        let data = memory.data_mut(&mut *store);
        let size = data.len();
        let start = ptr as u32 as usize;
        let dst = start
            .checked_add(args.len())
            .and_then(|end| data.get_mut(start..end))
            .ok_or(VmError::MemoryOutOfBounds {
                function: "molt_alloc",
                ptr: ptr as u32,
                len: len as u32,
                memory_size: size,
            })?;
        dst.copy_from_slice(args);
        let function = instance
            .get_typed_func::<(i32, i32), ()>(&*store, &entry.export)
            .map_err(|e| failure(store, e))?;
        function
            .call(&mut *store, (ptr, len))
            .map_err(|e| failure(store, e))?;
    } else {
        let function = instance
            .get_typed_func::<(), ()>(&*store, &entry.export)
            .map_err(|e| failure(store, e))?;
        function
            .call(&mut *store, ())
            .map_err(|e| failure(store, e))?;
    }
    match store.data_mut().return_data.take() {
        Some(data) => Ok(data),
        None if entry.returns_value => Err(VmError::MissingReturnData {
            name: entry.name.clone(),
        }),
        None => Ok(Vec::new()),
    }
}

/// Takes `amount` fuel from the store, or fails with out-of-gas.
fn burn(store: &mut Store<Session<'_>>, amount: u64) -> Result<(), VmError> {
    let fuel = store.get_fuel().unwrap_or(0);
    let left = fuel.checked_sub(amount);
    // Setting fuel only fails when metering is off, which `Vm::new` never does.
    let _ = store.set_fuel(left.unwrap_or(0));
    left.map(|_| ()).ok_or(VmError::OutOfGas {
        gas_used: 0,
        limit: 0,
    })
}

/// The engine-independent code of a wasmi trap, for receipts.
fn trap_code(code: TrapCode) -> molt_types::TrapCode {
    use molt_types::TrapCode as T;
    match code {
        TrapCode::UnreachableCodeReached => T::Unreachable,
        TrapCode::MemoryOutOfBounds => T::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds => T::TableOutOfBounds,
        TrapCode::IndirectCallToNull => T::IndirectCallToNull,
        TrapCode::IntegerDivisionByZero => T::IntegerDivisionByZero,
        TrapCode::IntegerOverflow => T::IntegerOverflow,
        TrapCode::BadConversionToInteger => T::BadConversionToInteger,
        TrapCode::BadSignature => T::BadSignature,
        _ => T::Other,
    }
}

/// The [`VmError`] for a failed wasmi call: a host function's own failure
/// first, then a denied memory growth, then wasmi's error by kind.
fn failure(store: &mut Store<Session<'_>>, error: wasmi::Error) -> VmError {
    let session = store.data_mut();
    if let Some(failure) = session.failure.take() {
        return failure;
    }
    let config = session.vm.config();
    let memory_limit = |requested_pages: u64| VmError::MemoryLimit {
        requested_pages,
        limit_pages: config.max_memory_pages,
    };
    if let Some(pages) = session.denied_pages.take() {
        return memory_limit(pages);
    }
    match error.kind() {
        ErrorKind::TrapCode(TrapCode::OutOfFuel)
        | ErrorKind::Fuel(FuelError::OutOfFuel { .. })
        | ErrorKind::Memory(MemoryError::OutOfFuel { .. })
        | ErrorKind::Table(TableError::OutOfFuel { .. }) => VmError::OutOfGas {
            gas_used: 0,
            limit: 0,
        },
        ErrorKind::TrapCode(TrapCode::StackOverflow) => VmError::StackOverflow {
            max_recursion_depth: config.max_recursion_depth,
        },
        ErrorKind::Memory(MemoryError::ResourceLimiterDeniedAllocation)
        | ErrorKind::Memory(MemoryError::OutOfBoundsGrowth) => {
            memory_limit(u64::from(config.max_memory_pages).saturating_add(1))
        }
        ErrorKind::TrapCode(code) => VmError::Trap {
            code: trap_code(*code),
            message: error.to_string(),
        },
        _ => VmError::Trap {
            code: molt_types::TrapCode::Other,
            message: error.to_string(),
        },
    }
}

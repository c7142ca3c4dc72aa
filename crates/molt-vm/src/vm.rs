//! [`Vm`]: the engine, its configuration and its module cache.

use crate::abi::{CallContext, CallTarget, PackageInfo};
use crate::cache::{CacheStats, ModuleCache};
use crate::config::VmConfig;
use crate::error::{CallError, ConfigError, VmError};
use crate::exec::{self, Invocation};
use crate::host::Host;
use crate::module::{self, PreparedModule};
use molt_host_rules::CallOrigin;
use molt_types::sha3_256;
use std::sync::{Arc, Mutex, MutexGuard};
use wasmi::{CompilationMode, Config, Engine};

/// The result of a successful call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    /// The function's result bytes (borsh of its result; empty for `()`).
    pub return_data: Vec<u8>,
    pub gas_used: u64,
}

/// The Molt Wasm engine. One per node; `Send + Sync`, so it can be shared.
#[derive(Debug)]
pub struct Vm {
    config: VmConfig,
    engine: Engine,
    cache: Mutex<ModuleCache>,
}

impl Vm {
    /// A VM with `config`, after [`VmConfig::validate`].
    pub fn new(config: VmConfig) -> Result<Vm, ConfigError> {
        config.validate()?;
        let engine = Engine::new(&engine_config(&config));
        let cache = Mutex::new(ModuleCache::new(config.module_cache_capacity));
        Ok(Vm {
            config,
            engine,
            cache,
        })
    }

    pub fn config(&self) -> &VmConfig {
        &self.config
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Validates and compiles `module`, or returns it from the cache if a
    /// module with the same SHA3-256 checksum was prepared before.
    pub fn prepare(&self, module: &[u8]) -> Result<Arc<PreparedModule>, VmError> {
        if module.len() > self.config.max_module_size {
            return Err(VmError::ModuleTooLarge {
                size: module.len(),
                limit: self.config.max_module_size,
            });
        }
        let checksum = sha3_256(module);
        if let Some(prepared) = self.cache().get(&checksum) {
            return Ok(prepared);
        }
        self.cache().record_miss();
        let prepared = Arc::new(module::prepare(
            &self.engine,
            &self.config,
            module,
            checksum,
        )?);
        self.cache().insert(Arc::clone(&prepared));
        Ok(prepared)
    }

    /// Hit and miss counters of the module cache.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache().stats()
    }

    /// Runs `target` of `module` with `args` (the borsh of the parameter
    /// tuple) and at most `gas_limit` gas. `ctx.package` must describe
    /// `module` (its checksum), else [`VmError::ChecksumMismatch`].
    ///
    /// The call runs inside a host checkpoint: on success its writes and
    /// events are committed to the enclosing level, on failure reverted, so a
    /// failed call leaves `host` unchanged. A failure still reports the gas
    /// it used.
    pub fn call(
        &self,
        module: &PreparedModule,
        host: &mut dyn Host,
        ctx: CallContext,
        target: &CallTarget,
        args: &[u8],
        gas_limit: u64,
    ) -> Result<CallOutcome, CallError> {
        if ctx.package.checksum != module.checksum() {
            return Err(CallError {
                error: VmError::ChecksumMismatch {
                    package: ctx.package.package_id,
                    expected: ctx.package.checksum,
                    found: module.checksum(),
                },
                gas_used: 0,
            });
        }
        self.run(module, host, ctx, target, args, gas_limit)
    }

    /// Runs the constructor (`molt:constructor`) of `first_version`, the
    /// module a package was first published with, to decide on the version
    /// `ctx.package` describes (a new upgrade, or the first version itself at
    /// publish). This is how constructors stay fixed (DESIGN.md 2.2): the
    /// code, and every constant it reads, is the first version's; the
    /// context (edition, checksum, caller, height) is the candidate's; a new
    /// module's own constructor export is never run. Otherwise like
    /// [`Vm::call`]; [`VmError::NoSuchEntryPoint`] if `first_version`
    /// declares no constructor.
    pub fn call_constructor(
        &self,
        first_version: &PreparedModule,
        host: &mut dyn Host,
        ctx: CallContext,
        gas_limit: u64,
    ) -> Result<CallOutcome, CallError> {
        self.run(
            first_version,
            host,
            ctx,
            &CallTarget::Constructor,
            &[],
            gas_limit,
        )
    }

    fn run(
        &self,
        module: &PreparedModule,
        host: &mut dyn Host,
        ctx: CallContext,
        target: &CallTarget,
        args: &[u8],
        gas_limit: u64,
    ) -> Result<CallOutcome, CallError> {
        let fail = |error| CallError { error, gas_used: 0 };
        if gas_limit > self.config.max_gas_per_call {
            return Err(fail(VmError::GasLimitTooHigh {
                requested: gas_limit,
                max: self.config.max_gas_per_call,
            }));
        }
        let entry = exec::resolve_entry(module, target, CallOrigin::Transaction).map_err(fail)?;
        let invocation = Invocation {
            entry: &entry,
            args,
            context: ctx.to_context(),
            view: entry.view,
            depth: 1,
        };
        let (result, gas_used) = exec::execute(self, host, module, invocation, gas_limit);
        match result {
            Ok(return_data) => Ok(CallOutcome {
                return_data,
                gas_used,
            }),
            Err(error) => Err(CallError { error, gas_used }),
        }
    }

    /// The prepared module of `package`: from the cache by checksum, or
    /// from the host's code, which must hash to that checksum. Cheaper than
    /// [`Vm::prepare`] on a hit: the code is neither read nor hashed.
    pub fn load(
        &self,
        host: &mut dyn Host,
        package: &PackageInfo,
    ) -> Result<Arc<PreparedModule>, VmError> {
        if let Some(prepared) = self.cache().get(&package.checksum) {
            return Ok(prepared);
        }
        let code = host.package_code(&package.package_id)?;
        let found = sha3_256(&code);
        if found != package.checksum {
            return Err(VmError::ChecksumMismatch {
                package: package.package_id,
                expected: package.checksum,
                found,
            });
        }
        self.prepare(&code)
    }

    fn cache(&self) -> MutexGuard<'_, ModuleCache> {
        // The cache holds no invariant a panicking holder could break halfway.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// wasmi's configuration: fuel on, eager compilation, and every
/// non-deterministic or unneeded proposal off.
fn engine_config(config: &VmConfig) -> Config {
    let mut c = Config::default();
    c.consume_fuel(true)
        // Lazy translation charges fuel for translating a function on first
        // use, which would make gas depend on what the cache saw before.
        .compilation_mode(CompilationMode::Eager)
        .floats(false)
        .wasm_saturating_float_to_int(false)
        .wasm_multi_memory(false)
        .wasm_tail_call(false)
        .wasm_extended_const(false)
        .wasm_custom_page_sizes(false)
        .wasm_wide_arithmetic(false)
        // What rustc emits for wasm32 by default: all deterministic.
        .wasm_mutable_global(true)
        .wasm_sign_extension(true)
        .wasm_multi_value(true)
        .wasm_bulk_memory(true)
        .wasm_reference_types(true)
        .allow_start_fn(false)
        .ignore_custom_sections(true)
        .set_max_recursion_depth(config.max_recursion_depth)
        .set_max_stack_height(config.max_value_stack_bytes)
        .set_max_cached_stacks(config.max_call_depth as usize);
    c
}

//! Module validation: from untrusted bytes to a [`PreparedModule`] that can
//! be called, or a typed rejection.

use crate::abi::{HOST_MODULE, HostFn, signature_text};
use crate::config::VmConfig;
use crate::determinism;
use crate::error::VmError;
use molt_interface::{
    ALLOC_EXPORT, CONSTRUCTOR_EXPORT, FUNCTION_EXPORT_PREFIX, INIT_EXPORT, Interface, MEMORY_EXPORT,
};
use molt_types::Digest;
use wasmi::{Engine, ExternType, Module, ValType};

/// A validated, compiled module with its decoded interface. Shared through
/// the module cache; cheap to call many times.
#[derive(Debug)]
pub struct PreparedModule {
    checksum: Digest,
    size: usize,
    interface: Interface,
    pub(crate) module: Module,
    /// The module's imports, in import order.
    pub(crate) imports: Vec<HostFn>,
}

impl PreparedModule {
    /// SHA3-256 of the module bytes.
    pub fn checksum(&self) -> Digest {
        self.checksum
    }

    /// Size of the module bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The decoded, validated interface.
    pub fn interface(&self) -> &Interface {
        &self.interface
    }
}

/// Validates and compiles `bytes` (whose size the caller already checked).
///
/// Order of checks, so that a module with several faults reports the most
/// fundamental one: determinism scan, wasmi validation and compilation,
/// imports, memory, interface section, exports.
pub(crate) fn prepare(
    engine: &Engine,
    config: &VmConfig,
    bytes: &[u8],
    checksum: Digest,
) -> Result<PreparedModule, VmError> {
    determinism::scan(bytes)?;
    let module = Module::new(engine, bytes).map_err(|e| VmError::InvalidModule {
        reason: e.to_string(),
    })?;
    let imports = check_imports(&module)?;
    check_memory(&module, config)?;
    let interface = read_interface(bytes, config)?;
    check_entry_points(&module, &interface)?;
    // The shared checker the CLI also runs; the checks above give the typed
    // errors, this one guards against the two drifting apart.
    molt_interface::check_exports(bytes, &interface).map_err(|e| VmError::BadInterface {
        reason: e.to_string(),
    })?;
    Ok(PreparedModule {
        checksum,
        size: bytes.len(),
        interface,
        module,
        imports,
    })
}

fn check_imports(module: &Module) -> Result<Vec<HostFn>, VmError> {
    let mut out = Vec::new();
    for import in module.imports() {
        let unknown = || VmError::UnknownImport {
            module: import.module().to_string(),
            name: import.name().to_string(),
        };
        if import.module() != HOST_MODULE {
            return Err(unknown());
        }
        let (host_fn, params, results) = HostFn::lookup(import.name()).ok_or_else(unknown)?;
        let ExternType::Func(ty) = import.ty() else {
            return Err(unknown());
        };
        if ty.params() != params || ty.results() != results {
            return Err(VmError::ImportSignatureMismatch {
                name: import.name().to_string(),
                expected: signature_text(params, results),
                found: signature_text(ty.params(), ty.results()),
            });
        }
        out.push(host_fn);
    }
    Ok(out)
}

fn check_memory(module: &Module, config: &VmConfig) -> Result<(), VmError> {
    let missing = || VmError::MissingExport {
        name: MEMORY_EXPORT.to_string(),
    };
    let Some(ExternType::Memory(memory)) = module.get_export(MEMORY_EXPORT) else {
        return Err(missing());
    };
    let limit = config.max_memory_pages;
    for pages in [Some(memory.minimum()), memory.maximum()]
        .into_iter()
        .flatten()
    {
        if pages > u64::from(limit) {
            return Err(VmError::MemoryLimit {
                requested_pages: pages,
                limit_pages: limit,
            });
        }
    }
    Ok(())
}

fn read_interface(bytes: &[u8], config: &VmConfig) -> Result<Interface, VmError> {
    let bad = |reason: String| VmError::BadInterface { reason };
    let section = molt_interface::find_section(bytes)
        .map_err(|e| bad(e.to_string()))?
        .ok_or(VmError::MissingInterface)?;
    if section.len() > config.max_interface_size {
        return Err(VmError::InterfaceTooLarge {
            size: section.len(),
            limit: config.max_interface_size,
        });
    }
    let interface = molt_interface::decode_section(section).map_err(|e| bad(e.to_string()))?;
    interface.validate().map_err(|e| bad(e.to_string()))?;
    Ok(interface)
}

/// `molt_alloc`, every declared function, `molt:init` and
/// `molt:constructor`: present iff declared, with the lowered signature.
fn check_entry_points(module: &Module, interface: &Interface) -> Result<(), VmError> {
    expect_func(module, ALLOC_EXPORT, &[ValType::I32], &[ValType::I32])?;
    for function in &interface.functions {
        let name = format!("{FUNCTION_EXPORT_PREFIX}{}", function.name);
        let params: &[ValType] = if function.params.is_empty() {
            &[]
        } else {
            &[ValType::I32, ValType::I32]
        };
        expect_func(module, &name, params, &[])?;
    }
    for (name, declared) in [
        (INIT_EXPORT, interface.init),
        (CONSTRUCTOR_EXPORT, interface.constructor.is_some()),
    ] {
        if declared {
            expect_func(module, name, &[], &[])?;
        } else if module.get_export(name).is_some() {
            return Err(VmError::UndeclaredExport {
                name: name.to_string(),
            });
        }
    }
    for export in module.exports() {
        if let Some(function) = export.name().strip_prefix(FUNCTION_EXPORT_PREFIX)
            && interface.function(function).is_none()
        {
            return Err(VmError::UndeclaredExport {
                name: export.name().to_string(),
            });
        }
    }
    Ok(())
}

fn expect_func(
    module: &Module,
    name: &str,
    params: &[ValType],
    results: &[ValType],
) -> Result<(), VmError> {
    match module.get_export(name) {
        Some(ExternType::Func(ty)) if ty.params() == params && ty.results() == results => Ok(()),
        Some(ExternType::Func(ty)) => Err(VmError::ExportSignatureMismatch {
            name: name.to_string(),
            expected: signature_text(params, results),
            found: signature_text(ty.params(), ty.results()),
        }),
        Some(_) => Err(VmError::ExportSignatureMismatch {
            name: name.to_string(),
            expected: signature_text(params, results),
            found: "a non-function export".to_string(),
        }),
        None => Err(VmError::MissingExport {
            name: name.to_string(),
        }),
    }
}

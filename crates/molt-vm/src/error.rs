//! Everything that can go wrong when preparing or calling a module.

use molt_interface::Visibility;
use molt_types::{Address, Digest, TrapCode};

/// A rejected module, a failed call or a broken host contract.
///
/// Every variant says what was wrong and, where a user can act, what to do.
/// The type is `Clone + Eq` so that the runtime can keep it in a receipt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VmError {
    // ---- module validation (`Vm::prepare`) ----
    /// The module is larger than [`VmConfig::max_module_size`](crate::VmConfig).
    #[error(
        "module is {size} bytes, above the limit of {limit} bytes: strip debug info, build with opt-level \"z\" or split the program"
    )]
    ModuleTooLarge { size: usize, limit: usize },
    /// The bytes are not a valid Wasm module, or use a feature Molt forbids
    /// (floating point, SIMD, threads, 64-bit memory, a start function, ...).
    #[error("invalid module: {reason}")]
    InvalidModule { reason: String },
    /// An import outside the host ABI (docs/host-abi.md).
    #[error(
        "module imports `{module}.{name}`, which the Molt host does not provide: only functions of module `molt` listed in the host ABI can be imported"
    )]
    UnknownImport { module: String, name: String },
    /// A host ABI import with the wrong Wasm signature.
    #[error("module imports `molt.{name}` as {found}, but the host ABI defines it as {expected}")]
    ImportSignatureMismatch {
        name: String,
        expected: String,
        found: String,
    },
    /// The module has no `molt:interface` custom section.
    #[error(
        "module has no `molt:interface` custom section: build it with the Molt SDK, which generates the interface"
    )]
    MissingInterface,
    /// The interface section is larger than [`VmConfig::max_interface_size`](crate::VmConfig).
    #[error("the `molt:interface` section is {size} bytes, above the limit of {limit} bytes")]
    InterfaceTooLarge { size: usize, limit: usize },
    /// The interface section cannot be decoded or is not well formed.
    #[error("the `molt:interface` section is invalid: {reason}")]
    BadInterface { reason: String },
    /// An export that the ABI or the interface requires is absent.
    #[error(
        "module does not export `{name}`, which the host ABI or the module's interface requires"
    )]
    MissingExport { name: String },
    /// An export exists with a different Wasm signature than the lowering
    /// of its declaration.
    #[error("export `{name}` has signature {found}, but its declaration lowers to {expected}")]
    ExportSignatureMismatch {
        name: String,
        expected: String,
        found: String,
    },
    /// An entry-point export (`molt:fn:*`, `molt:init`, `molt:constructor`)
    /// that the interface does not declare.
    #[error(
        "module exports `{name}`, which its interface does not declare: declare it or remove the export"
    )]
    UndeclaredExport { name: String },

    // ---- limits ----
    /// Linear memory above [`VmConfig::max_memory_pages`](crate::VmConfig),
    /// declared by the module or requested by `memory.grow`.
    #[error(
        "linear memory of {requested_pages} pages (64 KiB each) exceeds the limit of {limit_pages} pages"
    )]
    MemoryLimit {
        requested_pages: u64,
        limit_pages: u32,
    },
    /// The call ran out of gas.
    #[error(
        "out of gas: used {gas_used} of the limit {limit}: raise the gas limit or do less work per call"
    )]
    OutOfGas { gas_used: u64, limit: u64 },
    /// The requested gas limit is above [`VmConfig::max_gas_per_call`](crate::VmConfig).
    #[error("gas limit {requested} is above the maximum of {max} per call")]
    GasLimitTooHigh { requested: u64, max: u64 },
    /// Cross-program calls nested deeper than [`VmConfig::max_call_depth`](crate::VmConfig).
    #[error("cross-program call depth exceeds the limit of {limit}")]
    CallDepthExceeded { limit: u32 },
    /// The Wasm call stack overflowed (deep or unbounded recursion).
    #[error(
        "stack overflow: recursion deeper than the engine allows (at most {max_recursion_depth} nested Wasm calls)"
    )]
    StackOverflow { max_recursion_depth: usize },
    /// A key, value, event, message or result above its configured size.
    #[error("{what} of {size} bytes exceeds the limit of {limit} bytes")]
    LimitExceeded {
        what: &'static str,
        size: usize,
        limit: usize,
    },

    // ---- execution ----
    /// The module trapped (unreachable, division by zero, ...). `code` is
    /// what a receipt records; `message` (the engine's words) is for people
    /// and never reaches consensus data.
    #[error("trap: {message}")]
    Trap { code: TrapCode, message: String },
    /// A pointer range handed to the host lies outside linear memory.
    #[error(
        "host call `{function}` got the memory range {ptr}..{ptr}+{len}, outside the {memory_size}-byte linear memory"
    )]
    MemoryOutOfBounds {
        function: &'static str,
        ptr: u32,
        len: u32,
        memory_size: usize,
    },
    /// Bytes that must be UTF-8 are not.
    #[error("{what} is not valid UTF-8")]
    InvalidUtf8 { what: &'static str },
    /// The program stopped itself with `molt.abort`.
    #[error("program aborted with code {code}: {message}")]
    Aborted { code: u32, message: String },
    /// A `view` call tried to write storage or emit an event.
    #[error("`{operation}` in a view call: view functions may not write storage or emit events")]
    WriteInView { operation: &'static str },
    /// The interface declares no function of that name.
    #[error("package declares no function `{name}`")]
    UnknownFunction { name: String },
    /// The function exists but may not be called this way.
    #[error("function `{name}` is {visibility:?} and cannot be called {from}")]
    NotCallable {
        name: String,
        visibility: Visibility,
        from: &'static str,
    },
    /// `molt:init` or `molt:constructor` called on a package without one.
    #[error("package declares no {entry_point}")]
    NoSuchEntryPoint { entry_point: &'static str },
    /// Arguments for a function that takes none.
    #[error("function `{name}` takes no arguments but got {len} bytes")]
    UnexpectedArguments { name: String, len: usize },
    /// A function with a result returned without calling `molt.return_data`.
    #[error(
        "function `{name}` declares a result but returned without setting it (molt.return_data)"
    )]
    MissingReturnData { name: String },
    /// An event whose name the interface does not declare.
    #[error("event `{name}` is not declared in the package's interface")]
    UndeclaredEvent { name: String },
    /// `molt.authorize_upgrade` refused to issue an upgrade ticket: the cap
    /// does not exist, is not owned by the calling program, or the host does
    /// not issue tickets. `message` is the host's explanation.
    #[error("upgrade not authorized: {message}")]
    UpgradeNotAuthorized { message: String },
    /// `molt.call` to a package that does not exist.
    #[error("no package with id {package}")]
    UnknownPackage { package: Address },
    /// The code the host returned for a package does not hash to its checksum.
    #[error(
        "code of package {package} hashes to {found:?}, not its recorded checksum {expected:?}"
    )]
    ChecksumMismatch {
        package: Address,
        expected: Digest,
        found: Digest,
    },
    /// A privileged host call (docs/host-abi.md) by a program that is not a
    /// framework package; decided from the running package's original id.
    #[error("{0}")]
    NotPrivileged(molt_host_rules::NotPrivileged),
    /// The host refused an admitted privileged call.
    #[error("`molt.{function}` refused: {refusal}")]
    GovernanceRefused {
        function: &'static str,
        refusal: crate::governance::GovernanceRefusal,
    },
    /// A governance upgrade's module failed validation.
    #[error("the module of the governance upgrade of {package} is invalid: {error}")]
    GovernanceModuleInvalid {
        package: Address,
        error: Box<VmError>,
    },
    /// The [`Host`](crate::Host) failed (storage I/O, missing code, ...).
    /// The runtime should treat its own failures as fatal, not as a failed
    /// transaction.
    #[error("host error: {message}")]
    Host { message: String },
}

/// A failed [`Vm::call`](crate::Vm::call): the error and the gas the call
/// used up to the failure (what the transaction is charged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error} (gas used: {gas_used})")]
pub struct CallError {
    pub error: VmError,
    pub gas_used: u64,
}

/// A [`VmConfig`](crate::VmConfig) that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid VM configuration: {field} {problem}")]
pub struct ConfigError {
    pub field: &'static str,
    pub problem: &'static str,
}

/// A failure of the [`Host`](crate::Host) itself, not of the program.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HostError {
    pub message: String,
}

impl HostError {
    pub fn new(message: impl Into<String>) -> Self {
        HostError {
            message: message.into(),
        }
    }
}

impl From<HostError> for VmError {
    fn from(e: HostError) -> Self {
        VmError::Host { message: e.message }
    }
}

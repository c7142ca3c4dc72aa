//! Program errors: aborting with a code and a message.
//!
//! A program declares its own codes with an `#[errors]` enum (below
//! [`SDK_CODE_BASE`]); the SDK reports its own failures (bad arguments,
//! undecodable storage, version guard) with the reserved codes in [`codes`],
//! which every generated interface lists.

use alloc::string::String;
use core::fmt;

/// Codes at and above this value are reserved for the SDK.
pub const SDK_CODE_BASE: u32 = 1_000_000;

/// The SDK's reserved error codes.
pub mod codes {
    /// A panic: the message is the panic message.
    pub const PANIC: u32 = 0;
    /// The call's argument bytes do not decode as the function's parameters.
    pub const BAD_ARGUMENTS: u32 = 1_000_001;
    /// A stored value does not decode as its declared type.
    pub const CORRUPT_STORAGE: u32 = 1_000_002;
    /// A required storage item is not set.
    pub const MISSING_STORAGE: u32 = 1_000_003;
    /// A cross-program call's result does not decode as the expected type.
    pub const BAD_CALL_RESULT: u32 = 1_000_004;
    /// The function does not exist or may not be called this way.
    pub const NOT_CALLABLE: u32 = 1_000_005;
    /// The state belongs to another version of the package (version guard).
    pub const WRONG_VERSION: u32 = 1_000_010;
    /// The state is paused for a batched migration (version guard).
    pub const PAUSED: u32 = 1_000_011;
    /// Only the version guard's admin may do this.
    pub const NOT_ADMIN: u32 = 1_000_012;
    /// A migration that does not move the state forward.
    pub const BAD_MIGRATION: u32 = 1_000_013;
    /// A built-in constructor rejected the publish or upgrade.
    pub const CONSTRUCTOR_REJECTED: u32 = 1_000_020;

    /// `(code, name, message)` of every reserved code, as listed in
    /// generated interfaces.
    pub const ALL: &[(u32, &str, &str)] = &[
        (
            BAD_ARGUMENTS,
            "SdkBadArguments",
            "the arguments do not decode as the function's parameters",
        ),
        (
            CORRUPT_STORAGE,
            "SdkCorruptStorage",
            "a stored value does not decode as its declared type",
        ),
        (
            MISSING_STORAGE,
            "SdkMissingStorage",
            "a required storage item is not set",
        ),
        (
            BAD_CALL_RESULT,
            "SdkBadCallResult",
            "a cross-program call returned bytes of another type",
        ),
        (
            NOT_CALLABLE,
            "SdkNotCallable",
            "the function does not exist or may not be called this way",
        ),
        (
            WRONG_VERSION,
            "SdkWrongVersion",
            "the state belongs to another version of this package",
        ),
        (PAUSED, "SdkPaused", "the state is paused for a migration"),
        (NOT_ADMIN, "SdkNotAdmin", "only the admin may do this"),
        (
            BAD_MIGRATION,
            "SdkBadMigration",
            "a migration must move the state to a newer version",
        ),
        (
            CONSTRUCTOR_REJECTED,
            "SdkConstructorRejected",
            "the package's constructor rejected this publish or upgrade",
        ),
    ];
}

/// A declared error: what `#[errors]` enums implement.
pub trait ErrorCode {
    fn code(&self) -> u32;
    fn message(&self) -> &'static str;
}

/// A program's failure as the caller sees it: what [`abort`] reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramError {
    pub code: u32,
    pub message: String,
}

impl ProgramError {
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        ProgramError {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for ProgramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "program error {}: {}", self.code, self.message)
    }
}

impl<E: ErrorCode> From<E> for ProgramError {
    fn from(e: E) -> Self {
        ProgramError::new(e.code(), e.message())
    }
}

/// Stops the call with `code` and `msg`; the host discards every write and
/// event of the transaction.
pub fn abort(code: u32, msg: &str) -> ! {
    crate::sys::abort(code, msg)
}

/// Stops the call with a declared error.
pub fn fail<E: ErrorCode>(error: E) -> ! {
    abort(error.code(), error.message())
}

/// `ensure!(condition, Error::Variant)` aborts with the declared error unless
/// the condition holds; `ensure!(condition, code, "message")` with a code.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $err:expr $(,)?) => {
        if !$cond {
            $crate::error::fail($err)
        }
    };
    ($cond:expr, $code:expr, $msg:expr $(,)?) => {
        if !$cond {
            $crate::error::abort($code, $msg)
        }
    };
}

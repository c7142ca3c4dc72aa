//! Program errors: aborting with a code and a message.
//!
//! A program declares its own codes with an `#[errors]` enum (below
//! [`SDK_CODE_BASE`]); the SDK reports its own failures (bad arguments,
//! undecodable storage, version guard) with the reserved codes in [`codes`],
//! which every generated interface lists.

use alloc::string::String;
use core::fmt;

pub use codes::SDK_CODE_BASE;

/// The SDK's reserved error codes: [`codes::PANIC`] (0) and the codes from
/// [`SDK_CODE_BASE`] up. `#[molt_sdk::program]` reads this same file: it lists
/// [`codes::ALL`] in every interface (so changing that list changes the
/// interface and checksum of every program built afterwards) and rejects
/// `#[errors]` codes that collide with any reserved code.
pub mod codes;

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

/// The error type of a program function's `Result`: an `#[errors]` enum or
/// a [`ProgramError`] (for example one a cross-program call reported).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a program error",
    label = "a program function returns `Result<T, E>` with E an `#[errors]` enum or `molt_sdk::ProgramError`"
)]
pub trait Failure {
    /// Stops the call with this error's code and message.
    fn abort(self) -> !;
}

impl<E: ErrorCode> Failure for E {
    fn abort(self) -> ! {
        fail(self)
    }
}

impl Failure for ProgramError {
    fn abort(self) -> ! {
        abort(self.code, &self.message)
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

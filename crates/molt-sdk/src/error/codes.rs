// The single definition of the SDK's reserved error codes. `molt-sdk`
// compiles it as `molt_sdk::error::codes`; `molt-sdk-macros` includes the
// same file (`include!`) to list these codes in every generated interface and
// to reject program error codes that collide with them. Items only, no inner
// attributes and no `use`: it must compile as an included module in both
// crates.

/// Codes at and above this value are reserved for the SDK; a program's
/// `#[errors]` codes are `1..SDK_CODE_BASE`.
pub const SDK_CODE_BASE: u32 = 1_000_000;

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

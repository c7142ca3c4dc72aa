//! The typed interface of a Molt program.
//!
//! A package is one Wasm module whose interface travels inside it, in the
//! custom section [`SECTION_NAME`] (`molt:interface`), encoded with the
//! canonical codec. The SDK's macros generate it from the program's Rust
//! code; the node and the CLI decode it with limits ([`decode_section`]),
//! check that it is well formed ([`Interface::validate`]) and that the module
//! exports every declared entry point with the matching lowered signature
//! ([`check_exports`]).
//!
//! [`check_upgrade`] decides whether a new version may replace an old one
//! under the [`UpgradePolicy`] of the package's upgrade capability, and
//! reports every violation with a stable [`ViolationCode`].
//!
//! The model is exactly what upgrades compare (DESIGN.md section 2.3): named
//! types with ordered fields, enums with ordered variants, declared storage,
//! functions with visibility and typed parameters and results, events, error
//! codes, the constructor (policy and a digest of its code), the `init`
//! marker, and dependencies pinned to exact versions.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod compat;
mod display;
mod model;
#[cfg(feature = "std")]
mod section;
mod validate;
#[cfg(feature = "std")]
mod values;

pub use compat::{
    CompatReport, PolicyParseError, UpgradePolicy, Violation, ViolationCode, check_upgrade,
};
pub use model::*;
#[cfg(feature = "std")]
pub use section::{
    LoweredSignature, MAX_INTERFACE_BYTES, SectionError, WasmType, check_exports, decode_section,
    embed_section, encode_section, find_section, lowered_signature,
};
pub use validate::InterfaceError;
#[cfg(feature = "std")]
pub use values::{ValueError, check_args, decode_to_json, encode_args, encode_json};

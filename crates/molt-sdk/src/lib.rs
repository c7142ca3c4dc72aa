//! The Molt program SDK: typed storage, context, events, errors and
//! cross-program calls for Wasm programs, with a native test host.
//!
//! A program is one inline module under [`program`]:
//!
//! ```ignore
//! #[molt_sdk::program]
//! mod counter {
//!     use molt_sdk::prelude::*;
//!
//!     #[storage]
//!     static COUNT: Item<u64>;
//!
//!     #[init]
//!     fn init() {
//!         COUNT.set(&0);
//!     }
//!
//!     #[public]
//!     fn add(n: u64) -> u64 {
//!         let next = COUNT.get_or_default() + n;
//!         COUNT.set(&next);
//!         next
//!     }
//! }
//! ```
//!
//! The same API runs in two places:
//!
//! - on `wasm32`, every call goes to the node through the `molt` imports of
//!   the host ABI (`docs/host-abi.md`); the crate provides the panic handler,
//!   the global allocator (talc) and the `molt_alloc` export;
//! - on the host, every call goes to a thread-local in-memory host, driven by
//!   [`testing::TestEnv`], so program logic is unit-tested with `cargo test`.
//!
//! Storage keys follow the ABI's layout exactly: a singleton `name` lives at
//! `name`, a map entry at `name/` ++ `borsh(key)`; values are `borsh(value)`.
#![no_std]
// The host ABI is FFI: imports, exports, the allocator and the panic handler.
#![allow(unsafe_code)]

extern crate alloc;
#[cfg(not(target_arch = "wasm32"))]
extern crate std;

pub mod call;
pub mod coin;
pub mod env;
pub mod error;
pub mod events;
pub mod registry;
pub mod storage;
mod sys;
pub mod system;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
pub mod upgrade;
pub mod version;
#[cfg(target_arch = "wasm32")]
mod wasm_rt;

#[doc(hidden)]
pub mod __private;

pub use borsh;
pub use borsh::{BorshDeserialize, BorshSerialize};
pub use call::{call, call_raw, foreign_item, foreign_map_get, foreign_raw};
pub use env::{Context, context};
pub use error::{ErrorCode, Failure, ProgramError, abort, fail};
pub use events::Event;
pub use molt_sdk_macros::{import, program};
pub use molt_types::{Address, Digest, UpgradePlan};
pub use storage::{Item, Map, MapIter};
pub use version::VersionGuard;

/// Everything a program module usually needs: `use molt_sdk::prelude::*;`.
pub mod prelude {
    pub use crate::coin;
    pub use crate::ensure;
    pub use crate::env::{self, Context, context};
    pub use crate::error::{ErrorCode, ProgramError, abort, fail};
    pub use crate::events::{self, Event};
    pub use crate::storage::{self, Item, Map};
    pub use crate::system;
    pub use crate::upgrade;
    pub use crate::version::VersionGuard;
    pub use crate::{Address, BorshDeserialize, BorshSerialize, Digest};
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
    pub use alloc::{format, vec};
}

//! The version guard (Sui's versioned shared objects, DESIGN.md 2.4).
//!
//! All versions of a package share its storage, and every version stays
//! callable by its package id. A program whose state layout or invariants
//! change between versions therefore records, next to the state, the one
//! code version allowed to use it:
//!
//! - `init` calls [`VersionGuard::init`] with the code's `VERSION` and an
//!   admin;
//! - every function that touches the state starts with
//!   [`VersionGuard::check`]`(VERSION)`: a call through any other version fails
//!   with [`codes::WRONG_VERSION`] and a message naming both versions;
//! - the new version's admin-only `migrate` calls
//!   [`VersionGuard::migrate`]`(VERSION)` after converting the state, which
//!   moves the recorded version forward (never back);
//! - a migration too large for one transaction first calls
//!   [`VersionGuard::pause`]: the state then records [`PAUSED`], every
//!   [`check`](VersionGuard::check) fails with [`codes::PAUSED`], batches run,
//!   and the final [`migrate`](VersionGuard::migrate) unpauses at the new
//!   version.
//!
//! Declared as `#[storage] static GUARD: VersionGuard;`; the interface lists
//! it as a singleton of `(u64, Address)`: the version and the admin.

use crate::env::context;
use crate::error::{abort, codes};
use crate::storage::Item;
use alloc::string::String;
use molt_types::Address;

/// The version recorded while a batched migration runs.
pub const PAUSED: u64 = u64::MAX;

/// The recorded state version and its admin, stored as `(version, admin)`.
#[derive(Debug)]
pub struct VersionGuard {
    item: Item<(u64, Address)>,
}

impl VersionGuard {
    pub const fn new(name: &'static str) -> Self {
        VersionGuard {
            item: Item::new(name),
        }
    }

    /// Records `version` and `admin` (in `init`).
    pub fn init(&self, version: u64, admin: Address) {
        self.item.set(&(version, admin));
    }

    /// The recorded version, if initialized.
    pub fn version(&self) -> Option<u64> {
        self.item.get().map(|(v, _)| v)
    }

    /// The admin allowed to migrate, if initialized.
    pub fn admin(&self) -> Option<Address> {
        self.item.get().map(|(_, a)| a)
    }

    fn load(&self) -> (u64, Address) {
        match self.item.get() {
            Some(s) => s,
            None => abort(
                codes::MISSING_STORAGE,
                "the version guard is not initialized",
            ),
        }
    }

    /// Aborts unless the state may be used by code `version`.
    pub fn check(&self, version: u64) {
        let (recorded, _) = self.load();
        if recorded == version {
            return;
        }
        if recorded == PAUSED {
            abort(
                codes::PAUSED,
                "the state is paused for a migration; retry after it completes",
            );
        }
        let mut msg = String::from("this is version ");
        push_u64(&mut msg, version);
        msg.push_str(" of the package but the state was migrated to version ");
        push_u64(&mut msg, recorded);
        if recorded > version {
            msg.push_str("; call the package by its original id to reach the latest version");
        } else {
            msg.push_str("; the admin must call `migrate` on this version first");
        }
        abort(codes::WRONG_VERSION, &msg)
    }

    fn require_admin(&self, admin: &Address) {
        if context().caller != *admin {
            abort(
                codes::NOT_ADMIN,
                "only the version guard's admin may migrate or pause the state",
            );
        }
    }

    /// Admin only: moves the state to `version`, which must be newer than the
    /// recorded one (or the state must be paused).
    pub fn migrate(&self, version: u64) {
        let (recorded, admin) = self.load();
        self.require_admin(&admin);
        if version == PAUSED || (recorded != PAUSED && version <= recorded) {
            let mut msg = String::from("cannot migrate the state from version ");
            push_u64(&mut msg, recorded);
            msg.push_str(" to version ");
            push_u64(&mut msg, version);
            msg.push_str(": a migration must move it to a newer version");
            abort(codes::BAD_MIGRATION, &msg);
        }
        self.item.set(&(version, admin));
    }

    /// Admin only: pauses the state for a batched migration; every
    /// [`check`](Self::check) fails until [`migrate`](Self::migrate).
    pub fn pause(&self) {
        let (_, admin) = self.load();
        self.require_admin(&admin);
        self.item.set(&(PAUSED, admin));
    }

    /// Whether a batched migration is running.
    pub fn is_paused(&self) -> bool {
        self.version() == Some(PAUSED)
    }

    /// Admin only: hands the guard to another admin.
    pub fn set_admin(&self, new_admin: Address) {
        let (version, admin) = self.load();
        self.require_admin(&admin);
        self.item.set(&(version, new_admin));
    }
}

/// Decimal digits without `core::fmt` (keeps formatting code out of modules).
pub(crate) fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(d as char);
    }
}

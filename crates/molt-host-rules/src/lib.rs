//! The rules every Molt host applies to a program's host calls, in one
//! place (DESIGN.md 7, "one set of program semantics").
//!
//! A program runs against three implementations of the world: the node
//! (`molt-runtime`'s host over the store, through `molt-vm`), the VM's
//! in-memory `MemoryHost`, and the SDK's native `TestEnv`. The SDK is
//! `no_std` for wasm32 and cannot depend on the VM, so the decisions that are
//! not plain storage live here, free of any engine or store, and all three
//! call them. What each rule decides:
//!
//! - [`tickets`]: whether `molt.authorize_upgrade` issues an upgrade ticket:
//!   only in the ticket call of an `Upgrade` transaction (and the calls it
//!   makes), for an existing `UpgradeCap` owned by the calling program, and
//!   at most one per cap in a transaction. Refusals are typed
//!   ([`TicketRefusal`]) and their text is the same on every host.
//! - [`storage`]: where `storage_next(prefix, after)` starts: strictly after
//!   `after` when `after` sorts at or after `prefix`, else at `prefix`.
//! - [`calls`]: which functions a transaction or another program may call
//!   (`public` and `entry`, or `public` only), that a call made from a view
//!   runs as a view, how a `molt.call` target resolves (a declared
//!   dependency at its pinned version, else the id as given), and the
//!   default call-depth limit.
//!
//! - [`privilege`]: who may use the privileged host calls (governance
//!   upgrades, parameters, validator sets, epochs, calls as governance):
//!   only a package whose running original id is a framework address
//!   (`0x1`..`0xff`), decided when the call starts.
//!
//! The Wasm execution itself, gas and limits stay in `molt-vm`; what a
//! host stores stays in the host. The conformance suite
//! (`programs/conformance`, docs/conformance.md) runs the same scenarios on
//! all three hosts and compares what a user would see.
#![no_std]

extern crate alloc;

pub mod calls;
pub mod privilege;
pub mod storage;
pub mod tickets;

pub use calls::{CallOrigin, DEFAULT_MAX_CALL_DEPTH, Resolution};
pub use privilege::{FRAMEWORK_LIMIT, NotPrivileged, PrivilegedCall};
pub use tickets::{TicketRefusal, TicketState};

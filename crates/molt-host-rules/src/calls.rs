//! Cross-program calls: who may call which function, which version a
//! `molt.call` reaches, and the view and depth rules (docs/host-abi.md).
//!
//! - A transaction may call `public` and `entry` functions; another program
//!   (`molt.call`) only `public` ones; nobody calls an `internal` function
//!   from outside ([`may_call`]).
//! - `molt.call` names a package by original id (its latest version) or by
//!   package id (that exact version); a package the caller declares as a
//!   dependency is reached at the version it declares, whatever was
//!   published since ([`resolution`]).
//! - A call made from a view runs as a view, whatever the callee declares
//!   ([`runs_as_view`]): a view can never write through another program.
//! - The callee's `caller` is the calling program's original id; everything
//!   else in its context (package id, original id, version, edition,
//!   checksum, owner) describes the callee version that runs, and `origin`,
//!   block and `ticket_call` are the transaction's.
//! - The transaction's call is at depth 1; each `molt.call` adds one, and a
//!   call deeper than the limit fails the whole call
//!   ([`DEFAULT_MAX_CALL_DEPTH`] unless the chain configures another).

use molt_interface::{Dependency, Visibility};
use molt_types::Address;

/// How deep cross-program calls may nest by default (the transaction's
/// call is depth 1).
pub const DEFAULT_MAX_CALL_DEPTH: u32 = 8;

/// Who is calling, which decides the visibility rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOrigin {
    /// A transaction: `public` and `entry` functions.
    Transaction,
    /// Another program through `molt.call`: `public` functions only.
    Program,
}

impl CallOrigin {
    /// How a refusal names the caller: "cannot be called {from}".
    pub fn describe(self) -> &'static str {
        match self {
            CallOrigin::Transaction => "by a transaction",
            CallOrigin::Program => "by another program (only public functions are)",
        }
    }
}

/// Whether a function of `visibility` may be called from `origin`.
pub fn may_call(visibility: Visibility, origin: CallOrigin) -> bool {
    match origin {
        CallOrigin::Transaction => visibility != Visibility::Internal,
        CallOrigin::Program => visibility == Visibility::Public,
    }
}

/// Whether the callee runs as a view: a view's callees are views too.
pub fn runs_as_view(caller_is_view: bool, callee_is_view: bool) -> bool {
    caller_is_view || callee_is_view
}

/// Whether a call at `depth` (1 for the transaction's call) is allowed
/// under `limit`.
pub fn depth_allowed(depth: u32, limit: u32) -> bool {
    depth <= limit
}

/// Which version of a package a `molt.call` reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// A declared dependency: exactly this version of the original id.
    Pinned { version: u64 },
    /// Anything else: an original id means its latest version, a package
    /// id that exact version.
    AsNamed,
}

/// How the caller, which declares `dependencies`, reaches `package`.
pub fn resolution(dependencies: &[Dependency], package: &Address) -> Resolution {
    dependencies
        .iter()
        .find(|d| d.original_id == *package)
        .map_or(Resolution::AsNamed, |d| Resolution::Pinned {
            version: d.version,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    #[test]
    fn programs_reach_public_functions_only() {
        use CallOrigin::{Program, Transaction};
        use Visibility::{Entry, Internal, Public};
        assert!(may_call(Public, Transaction) && may_call(Entry, Transaction));
        assert!(!may_call(Internal, Transaction));
        assert!(may_call(Public, Program));
        assert!(!may_call(Entry, Program) && !may_call(Internal, Program));
    }

    #[test]
    fn views_stay_views_through_calls() {
        assert!(runs_as_view(true, false));
        assert!(runs_as_view(false, true));
        assert!(!runs_as_view(false, false));
    }

    #[test]
    fn declared_dependencies_are_pinned() {
        let dep = Dependency {
            name: String::from("counter"),
            original_id: Address([7; 32]),
            version: 3,
        };
        assert_eq!(
            resolution(core::slice::from_ref(&dep), &Address([7; 32])),
            Resolution::Pinned { version: 3 }
        );
        assert_eq!(resolution(&[dep], &Address([8; 32])), Resolution::AsNamed);
    }

    #[test]
    fn depth_counts_the_transaction_call_as_one() {
        assert!(depth_allowed(
            DEFAULT_MAX_CALL_DEPTH,
            DEFAULT_MAX_CALL_DEPTH
        ));
        assert!(!depth_allowed(
            DEFAULT_MAX_CALL_DEPTH + 1,
            DEFAULT_MAX_CALL_DEPTH
        ));
    }
}

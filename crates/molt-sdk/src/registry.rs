//! Looking up canonical deployments in the chain's registry (the framework
//! package `registry` at `0x5`, docs/canonical-deployments.md).
//!
//! A service is a name with an ordered list of versions (package ids); the
//! last one is canonical. Governance appends versions; programs read them.
//! A program that wants "whatever the chain currently calls `dex`" asks
//! [`canonical`] at the moment it needs it, never caching the answer across
//! transactions: the next block may point the name elsewhere. Every older
//! version stays deployed and callable by its package id.
//!
//! Each lookup is one cross-program call to a view (gas as any call); in a
//! [`crate::testing::TestEnv`] register or mock the registry at
//! [`REGISTRY`] (`mock_call_typed(REGISTRY, "canonical", ..)`).

use crate::call::call;
use alloc::string::String;
use molt_types::Address;

/// The registry's framework address.
pub const REGISTRY: Address = Address::reserved(5);

/// The canonical package of service `name`: its latest version, or `None`
/// if no such service is registered.
pub fn canonical(name: &str) -> Option<Address> {
    call(&REGISTRY, "canonical", &String::from(name))
}

/// The package of version `index` (from 0, oldest first) of `name`.
pub fn version(name: &str, index: u64) -> Option<Address> {
    call(&REGISTRY, "version_package", &(String::from(name), index))
}

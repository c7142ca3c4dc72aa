//! The call's context: who called, which block, which package version.

use crate::error::{abort, codes};
use borsh::{BorshDeserialize, BorshSerialize};
use molt_types::{Address, Digest};

/// What the host tells a call about itself (`context` import). The field
/// order is frozen by the host ABI.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Context {
    /// The account or program that called this function.
    pub caller: Address,
    /// The transaction's sender.
    pub origin: Address,
    pub block_height: u64,
    /// From the block header, never the wall clock.
    pub block_time_ms: u64,
    /// This version's package id.
    pub package_id: Address,
    /// The package's permanent id (its storage namespace).
    pub original_id: Address,
    /// From 1.
    pub version: u64,
    /// From 0.
    pub edition: u16,
    /// SHA3-256 of this version's module bytes.
    pub checksum: Digest,
    /// The package owner.
    pub owner: Address,
    /// True in the ticket call of an `Upgrade` transaction and in every call
    /// it makes, the only calls in which [`crate::upgrade::authorize`] can
    /// issue a ticket. See [`in_ticket_call`].
    pub ticket_call: bool,
    /// The coin the transaction attached to this call, already in this
    /// program's account ([`crate::coin::attached`]).
    pub attached_coin: u64,
}

/// The current call's context (one host call).
pub fn context() -> Context {
    let bytes = crate::sys::context_bytes();
    match borsh::from_slice(&bytes) {
        Ok(ctx) => ctx,
        Err(_) => abort(codes::PANIC, "molt-sdk: the host's context does not decode"),
    }
}

/// The account or program that called this function.
pub fn caller() -> Address {
    // `caller` is the context's first field (the ABI freezes the order):
    // its 32 bytes, without decoding the rest.
    let bytes = crate::sys::context_bytes();
    match bytes.get(..32).and_then(|b| <[u8; 32]>::try_from(b).ok()) {
        Some(caller) => Address(caller),
        None => abort(codes::PANIC, "molt-sdk: the host's context does not decode"),
    }
}

/// Whether this call is (part of) the ticket call of an `Upgrade`
/// transaction. An upgrade policy that consumes approvals when it authorizes
/// should refuse otherwise, with its own error, before it touches them; the
/// node refuses [`crate::upgrade::authorize`] outside a ticket call anyway.
pub fn in_ticket_call() -> bool {
    context().ticket_call
}

/// Gas remaining for this call.
pub fn gas_left() -> u64 {
    crate::sys::gas()
}

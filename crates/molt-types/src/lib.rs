//! Molt core types: ids, hashes, keys, signatures, transactions, blocks,
//! receipts and the canonical codec.
//!
//! Everything that crosses a process boundary or is written to state is
//! encoded with the one canonical codec in [`codec`] (borsh). Decoding of
//! untrusted bytes always goes through [`codec::decode`], which takes an
//! explicit size limit, rejects trailing bytes and never panics.
//!
//! The crate is `no_std` (with `alloc`) without its `std` feature so that Wasm
//! programs share the same [`Address`], [`Digest`] and codec; keys,
//! signatures and transactions need `std`.
#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod address;
pub mod codec;
mod digest;
mod event;
mod policy;
mod protocol;

#[cfg(feature = "std")]
mod block;
#[cfg(feature = "std")]
mod chain;
#[cfg(feature = "std")]
mod crypto;
#[cfg(feature = "std")]
mod receipt;
#[cfg(feature = "std")]
mod transaction;

pub use address::{Address, AddressParseError};
pub use codec::{CodecError, decode, encode};
pub use digest::{Digest, DigestParseError, sha3_256, sha3_256_tagged};
pub use event::Event;
pub use policy::{PolicyParseError, UpgradePolicy};
pub use protocol::UpgradePlan;

#[cfg(feature = "std")]
pub use block::{Block, BlockHeader, BlockId, receipts_root, transactions_root};
#[cfg(feature = "std")]
pub use chain::{ChainId, ChainIdError};
#[cfg(feature = "std")]
pub use crypto::{KeyParseError, PublicKey, SecretKey, Signature, SignatureError};
#[cfg(feature = "std")]
pub use receipt::{
    CapDenial, ExecutionStatus, FailureReason, LimitKind, ModuleRejection, NotCallableReason,
    Receipt, TrapCode, UpgradeRejection, ViolationRecord,
};
#[cfg(feature = "std")]
pub use transaction::{
    SignedTransaction, TicketCall, Transaction, TransactionError, TransactionId, TransactionPayload,
};

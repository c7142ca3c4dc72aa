//! Events emitted by transactions.

use crate::address::Address;
use alloc::string::String;
use alloc::vec::Vec;
use borsh::{BorshDeserialize, BorshSerialize};

/// One event: the package (or system component) that emitted it, the event's
/// declared name, and its canonical-encoded data.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Event {
    pub emitter: Address,
    pub name: String,
    #[cfg_attr(feature = "serde", serde(with = "crate::codec::hex_bytes"))]
    pub data: Vec<u8>,
}

//! The runtime's records in the state tree, and their keys.
//!
//! | key | value |
//! |---|---|
//! | `acct/` ++ address | [`Account`] |
//! | `pkg/` ++ package id | [`PackageVersion`] (one per version) |
//! | `orig/` ++ original id | [`PackageRecord`] (all versions of a package) |
//! | `code/` ++ checksum | module bytes |
//! | `cap/` ++ cap id | [`UpgradeCap`] |
//! | `ticket/` ++ cap id | an upgrade ticket's digest, only inside one transaction |
//! | `data/` ++ original id ++ program key | a program's storage |
//!
//! All records are borsh; their layout is frozen by golden fixtures.

use borsh::{BorshDeserialize, BorshSerialize};
use molt_interface::Interface;
use molt_types::{Address, Digest, UpgradePolicy};
use serde::Serialize;

pub fn account_key(a: &Address) -> Vec<u8> {
    [b"acct/".as_slice(), a.as_bytes()].concat()
}
pub fn package_key(id: &Address) -> Vec<u8> {
    [b"pkg/".as_slice(), id.as_bytes()].concat()
}
/// The prefix of every package record ([`record_key`]).
pub const RECORD_PREFIX: &[u8] = b"orig/";
pub fn record_key(original: &Address) -> Vec<u8> {
    [RECORD_PREFIX, original.as_bytes()].concat()
}
pub fn code_key(checksum: &Digest) -> Vec<u8> {
    [b"code/".as_slice(), checksum.as_bytes()].concat()
}
pub fn cap_key(cap: &Address) -> Vec<u8> {
    [b"cap/".as_slice(), cap.as_bytes()].concat()
}
pub fn ticket_key(cap: &Address) -> Vec<u8> {
    [b"ticket/".as_slice(), cap.as_bytes()].concat()
}
pub const TICKET_PREFIX: &[u8] = b"ticket/";

/// The prefix of a package's storage namespace.
pub fn data_prefix(original: &Address) -> Vec<u8> {
    [b"data/".as_slice(), original.as_bytes()].concat()
}
pub fn data_key(original: &Address, key: &[u8]) -> Vec<u8> {
    [data_prefix(original).as_slice(), key].concat()
}

/// An account: its coin balance and the sequence number its next
/// transaction must carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct Account {
    pub balance: u64,
    pub sequence_number: u64,
}

/// The right to upgrade one package, within its policy.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct UpgradeCap {
    pub id: Address,
    pub package: Address,
    pub owner: Address,
    pub policy: UpgradePolicy,
}

/// One stored version of a package.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct PackageVersion {
    pub package_id: Address,
    pub original_id: Address,
    pub version: u64,
    pub edition: u16,
    pub checksum: Digest,
    pub owner: Address,
    pub interface: Interface,
    /// Block and transaction that created this version.
    pub height: u64,
    pub transaction: Digest,
    /// The cap's policy when this version was created.
    pub policy: UpgradePolicy,
}

/// Every version of a package, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct PackageRecord {
    pub original_id: Address,
    pub versions: Vec<Address>,
    pub cap: Option<Address>,
}

impl PackageRecord {
    pub fn latest(&self) -> Address {
        // A record is created with its first version and never loses one.
        *self.versions.last().unwrap_or(&self.original_id)
    }
}

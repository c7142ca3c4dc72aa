//! Upgrade tickets (DESIGN.md 2.2): how a program that holds an `UpgradeCap`
//! authorizes one exact upgrade.
//!
//! An upgrade cap can be owned by a program (its owner is then the program's
//! original id). Such a program calls [`authorize`] with the cap and the
//! SHA3-256 checksum of the new module; the node records a ticket for the
//! transaction, and the upgrade that follows in the same transaction through
//! that cap proceeds only if its module hashes to exactly that digest. Upgrade
//! policies (multisig, timelock, DAO) are ordinary programs that decide when
//! to call [`authorize`]; see `programs/upgrader_multisig` and
//! `programs/upgrader_timelock`.
//!
//! ```ignore
//! #[entry]
//! fn approve_upgrade(cap: Address, digest: Digest) {
//!     // ... the program's own policy ...
//!     molt_sdk::upgrade::authorize(&cap, &digest);
//! }
//! ```

use molt_types::{Address, Digest};

/// The code with which the native test host ([`crate::testing::TestEnv`])
/// reports a refused [`authorize`]. On the node a refusal is not a program
/// abort but the VM error `UpgradeNotAuthorized`, so this code is not part of
/// any interface's error list.
pub const NOT_AUTHORIZED: u32 = 1_000_030;

/// Authorizes the upgrade through `cap` of exactly the module whose SHA3-256
/// checksum is `digest`, for the rest of this transaction
/// (`molt.authorize_upgrade`).
///
/// Returns only if the ticket was issued. The host refuses, and the whole
/// call fails with its message (a `view` call, an unknown cap, a cap not
/// owned by this program, a second ticket for the same cap), so there is no
/// error to handle: a refusal also undoes everything the call did, which
/// keeps a policy program from consuming its approvals without issuing the
/// ticket. Costs as much gas as a storage write of 64 bytes.
pub fn authorize(cap: &Address, digest: &Digest) {
    crate::sys::authorize(cap, digest)
}

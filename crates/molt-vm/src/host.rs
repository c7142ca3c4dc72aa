//! The boundary between the VM and the world: storage, events and other
//! packages live behind [`Host`], implemented by the runtime (over the
//! store) and by [`MemoryHost`](crate::MemoryHost) (in memory, for tests).

use crate::abi::PackageInfo;
use crate::error::HostError;
use crate::governance::{ChainInfo, GovernanceRefusal, GovernanceUpgrade};
use molt_types::{Address, Digest, Event};

/// A storage entry: `(key, value)`.
pub type StorageEntry = (Vec<u8>, Vec<u8>);

/// An upgrade ticket issued by `molt.authorize_upgrade`: `program` (an
/// original id), owner of `cap`, authorized the upgrade through `cap` of the
/// module whose SHA3-256 checksum is `digest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UpgradeTicket {
    pub program: Address,
    pub cap: Address,
    pub digest: Digest,
}

/// The world a call runs against.
///
/// # Contract
///
/// - **Namespaces.** Storage is addressed by `(namespace, key)`; the VM passes
///   the running package's `original_id` as the namespace (or, for
///   `storage_get_foreign`, the id the program names). Keys are compared as
///   byte strings.
/// - **Journal.** The VM brackets every call, top-level and nested, with
///   [`Host::checkpoint`] and then exactly one of [`Host::commit`] (the call
///   succeeded) or [`Host::revert`] (it failed). Checkpoints nest like a
///   stack. After `revert` every write and event since the matching
///   `checkpoint` must be gone; after `commit` they become part of the
///   enclosing checkpoint (or final, at the outermost level). So a failed
///   [`Vm::call`](crate::Vm::call) leaves the host as it found it.
/// - **Errors.** A [`HostError`] is a failure of the host itself (I/O,
///   missing code), not of the program; the VM ends the call with
///   [`VmError::Host`](crate::VmError::Host) and the runtime should treat
///   its own failures as fatal for the block.
/// - **Determinism.** Every answer must be a function of committed state and
///   the writes made so far; `storage_next` returns keys in ascending byte
///   order.
/// - **Rules.** The decisions that are not storage (ticket admission, who
///   may call what, views, call depth, where `storage_next` starts) are made
///   by the VM with `molt_host_rules`, the same code the SDK's native test
///   host runs; a host only answers questions about its state. The VM passes
///   `storage_next` an `after` only when it sorts at or after the prefix
///   ([`molt_host_rules::storage::start`]).
pub trait Host {
    /// The value at `key`, if any.
    fn storage_get(
        &mut self,
        namespace: &Address,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, HostError>;

    /// Whether a value exists at `key`.
    fn storage_has(&mut self, namespace: &Address, key: &[u8]) -> Result<bool, HostError> {
        Ok(self.storage_get(namespace, key)?.is_some())
    }

    /// Writes `value` at `key`.
    fn storage_set(
        &mut self,
        namespace: &Address,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), HostError>;

    /// Removes the value at `key`; whether there was one.
    fn storage_remove(&mut self, namespace: &Address, key: &[u8]) -> Result<bool, HostError>;

    /// The first `(key, value)` whose key starts with `prefix` and is
    /// strictly greater than `after` (when given), in ascending byte order.
    fn storage_next(
        &mut self,
        namespace: &Address,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Option<StorageEntry>, HostError>;

    /// Records an event of the running transaction.
    fn emit_event(&mut self, event: Event) -> Result<(), HostError>;

    /// The package a `molt.call` names: an original id resolves to the latest
    /// version, a package id to that exact version. `None` if neither.
    fn resolve_package(&mut self, package: &Address) -> Result<Option<PackageInfo>, HostError>;

    /// Version `version` of the package whose original id is `original_id`,
    /// for calls to a declared dependency, which are linked to the exact
    /// version the caller declares. `None` if there is no such version. The
    /// default resolves through [`Host::resolve_package`] and accepts the
    /// answer only when it is that version.
    fn resolve_version(
        &mut self,
        original_id: &Address,
        version: u64,
    ) -> Result<Option<PackageInfo>, HostError> {
        Ok(self
            .resolve_package(original_id)?
            .filter(|p| p.version == version))
    }

    /// The module bytes of the package version `package_id`. Called only when
    /// the VM's module cache does not already hold its checksum.
    fn package_code(&mut self, package_id: &Address) -> Result<Vec<u8>, HostError>;

    /// The owner of `UpgradeCap` `cap` (an account, or a program's original
    /// id), `None` if there is no such cap. Asked by `molt.authorize_upgrade`
    /// (DESIGN.md 2.2), which decides by
    /// [`molt_host_rules::tickets::admit`]. The default knows no caps, so it
    /// issues no tickets.
    fn upgrade_cap_owner(&mut self, cap: &Address) -> Result<Option<Address>, HostError> {
        let _ = cap;
        Ok(None)
    }

    /// The digest of the ticket issued through `cap` earlier in the running
    /// transaction, if any (one ticket per cap per transaction). Tickets of
    /// a reverted call are gone; tickets of an earlier transaction have
    /// expired.
    fn issued_ticket(&mut self, cap: &Address) -> Result<Option<Digest>, HostError> {
        let _ = cap;
        Ok(None)
    }

    /// Records `ticket`, which the VM admitted: `ticket.program` (the running
    /// package's original id) authorizes the upgrade through `ticket.cap` of
    /// exactly the module whose SHA3-256 checksum is `ticket.digest`, for the
    /// rest of the transaction. A write: a later [`Host::revert`] of an
    /// enclosing checkpoint must drop it.
    fn record_ticket(&mut self, ticket: UpgradeTicket) -> Result<(), HostError> {
        Err(HostError::new(format!(
            "this host admitted a ticket for UpgradeCap {} but cannot record it",
            ticket.cap
        )))
    }

    /// The chain fact `what`, borsh-encoded (`molt.chain_info`, readable
    /// by every program); `None` if this host has none. The default has
    /// none.
    fn chain_info(&mut self, what: ChainInfo) -> Result<Option<Vec<u8>>, HostError> {
        let _ = what;
        Ok(None)
    }

    /// The coin balance of `account` (an account or a package's original
    /// id); 0 for one the host has never seen. The default keeps no coin.
    fn coin_balance(&mut self, account: &Address) -> Result<u64, HostError> {
        let _ = account;
        Ok(0)
    }

    /// Moves `amount` from `from` to `to`, or, if `from` holds less, moves
    /// nothing and answers `Err(balance of from)`. A write of the running
    /// call: a later [`Host::revert`] of an enclosing checkpoint must undo
    /// it. The VM records the move as an event itself; the host only keeps
    /// balances. Credits saturate at `u64::MAX` (the supply is far below).
    /// The default keeps no coin, so every account has none to send.
    fn coin_transfer(
        &mut self,
        from: &Address,
        to: &Address,
        amount: u64,
    ) -> Result<Result<(), u64>, HostError> {
        let _ = (from, to, amount);
        Ok(Err(0))
    }

    // ---- privileged calls (docs/host-abi.md). The VM calls these only for
    // a framework package (`molt_host_rules::privilege::admit`), after
    // charging gas and, for an upgrade, validating the module. Each is a
    // write of the running transaction: a later `revert` of an enclosing
    // checkpoint must undo it. A refusal changes nothing. ----

    /// Upgrades `request.package` to `request.module` without its cap,
    /// checked under `compatible`; the new version's info.
    fn governance_upgrade(
        &mut self,
        request: GovernanceUpgrade<'_>,
    ) -> Result<Result<PackageInfo, GovernanceRefusal>, HostError> {
        let _ = request;
        Ok(Err(GovernanceRefusal::Unsupported))
    }

    /// Schedules `params` (the node's borsh `ChainParams`) for the next
    /// epoch boundary, after validating them.
    fn schedule_params(
        &mut self,
        params: &[u8],
    ) -> Result<Result<(), GovernanceRefusal>, HostError> {
        let _ = params;
        Ok(Err(GovernanceRefusal::Unsupported))
    }

    /// Schedules the next epoch's validator set (borsh
    /// `Vec<(Address, [u8; 32], u64)>`), after validating it.
    fn schedule_validators(
        &mut self,
        validators: &[u8],
    ) -> Result<Result<(), GovernanceRefusal>, HostError> {
        let _ = validators;
        Ok(Err(GovernanceRefusal::Unsupported))
    }

    /// Schedules a protocol upgrade (borsh `UpgradePlan`) from the block at
    /// `height`, after checking it as every plan is checked (semver, height
    /// not passed, binaries, no downgrade). Written at the end of the transaction's block, like
    /// every state write.
    fn schedule_upgrade(
        &mut self,
        plan: &[u8],
        height: u64,
    ) -> Result<Result<(), GovernanceRefusal>, HostError> {
        let _ = (plan, height);
        Ok(Err(GovernanceRefusal::Unsupported))
    }

    /// Makes the next block start a new epoch.
    fn end_epoch(&mut self) -> Result<Result<(), GovernanceRefusal>, HostError> {
        Ok(Err(GovernanceRefusal::Unsupported))
    }

    /// Opens a nested checkpoint.
    fn checkpoint(&mut self);

    /// Keeps everything since the matching checkpoint.
    fn commit(&mut self);

    /// Undoes everything since the matching checkpoint.
    fn revert(&mut self);
}

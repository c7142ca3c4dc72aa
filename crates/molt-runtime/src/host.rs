//! The VM's view of the world during a transaction: program storage in the
//! block's overlay, packages resolved from state, upgrade caps and the
//! transaction's tickets. The rules (ticket admission, visibility, views,
//! where `storage_next` starts) are decided by the VM with `molt-host-rules`,
//! the same code the SDK's `TestEnv` runs; this host only answers from state.

use crate::overlay::Overlay;
use crate::state::UpgradeCap;
use crate::state::{self, PackageRecord, PackageVersion};
use molt_types::{Address, Digest, Event, codec};
use molt_vm::{Host, HostError, PackageInfo, UpgradeTicket};

/// Adapts the block overlay to [`molt_vm::Host`].
#[derive(Debug)]
pub struct RuntimeHost<'a, 's> {
    pub overlay: &'a mut Overlay<'s>,
    /// The proposer of the block being executed (`molt.chain_info` kind
    /// `BlockProposer`); `None` outside a block (views, genesis).
    pub proposer: Option<Address>,
}

fn host_err(e: impl std::fmt::Display) -> HostError {
    HostError::new(e.to_string())
}

/// Reads and decodes a state record.
pub fn read_record<T: borsh::BorshDeserialize>(
    overlay: &Overlay<'_>,
    key: &[u8],
) -> Result<Option<T>, crate::RuntimeError> {
    match overlay.get(key)? {
        None => Ok(None),
        Some(bytes) => decode_record(key, &bytes).map(Some),
    }
}

/// Decodes the state record stored under `key`; a record that does not
/// decode is corrupt state of this node.
pub fn decode_record<T: borsh::BorshDeserialize>(
    key: &[u8],
    bytes: &[u8],
) -> Result<T, crate::RuntimeError> {
    codec::decode("state record", bytes, usize::MAX).map_err(|e| crate::RuntimeError::Corrupt {
        key: String::from_utf8_lossy(key).into(),
        reason: e.to_string(),
    })
}

/// Resolves an original id (to its latest version) or an exact package id.
pub fn resolve(
    overlay: &Overlay<'_>,
    id: &Address,
) -> Result<Option<PackageVersion>, crate::RuntimeError> {
    if let Some(record) = read_record::<PackageRecord>(overlay, &state::record_key(id))? {
        return read_record::<PackageVersion>(overlay, &state::package_key(&record.latest()));
    }
    read_record::<PackageVersion>(overlay, &state::package_key(id))
}

/// Version `version` (from 1) of the package `original_id`, if it exists.
pub fn dependency_version(
    overlay: &Overlay<'_>,
    original_id: &Address,
    version: u64,
) -> Result<Option<PackageVersion>, crate::RuntimeError> {
    let Some(record) = read_record::<PackageRecord>(overlay, &state::record_key(original_id))?
    else {
        return Ok(None);
    };
    let index = version.checked_sub(1).and_then(|i| usize::try_from(i).ok());
    match index.and_then(|i| record.versions.get(i)) {
        Some(id) => read_record::<PackageVersion>(overlay, &state::package_key(id)),
        None => Ok(None),
    }
}

/// The first of a module's declared dependencies that cannot be linked.
pub fn missing_dependency(
    overlay: &Overlay<'_>,
    interface: &molt_interface::Interface,
) -> Result<Option<molt_types::ModuleRejection>, crate::RuntimeError> {
    for d in &interface.dependencies {
        if dependency_version(overlay, &d.original_id, d.version)?.is_none() {
            return Ok(Some(molt_types::ModuleRejection::MissingDependency {
                original_id: d.original_id,
                version: d.version,
            }));
        }
    }
    Ok(None)
}

pub fn package_info(v: &PackageVersion) -> PackageInfo {
    PackageInfo {
        package_id: v.package_id,
        original_id: v.original_id,
        version: v.version,
        edition: v.edition,
        owner: v.owner,
        checksum: v.checksum,
    }
}

impl Host for RuntimeHost<'_, '_> {
    fn storage_get(&mut self, ns: &Address, key: &[u8]) -> Result<Option<Vec<u8>>, HostError> {
        self.overlay
            .get(&state::data_key(ns, key))
            .map_err(host_err)
    }

    fn storage_set(&mut self, ns: &Address, key: &[u8], value: &[u8]) -> Result<(), HostError> {
        self.overlay.put(state::data_key(ns, key), value.to_vec());
        Ok(())
    }

    fn storage_remove(&mut self, ns: &Address, key: &[u8]) -> Result<bool, HostError> {
        let full = state::data_key(ns, key);
        let existed = self.overlay.get(&full).map_err(host_err)?.is_some();
        if existed {
            self.overlay.delete(full);
        }
        Ok(existed)
    }

    fn storage_next(
        &mut self,
        ns: &Address,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Option<(Vec<u8>, Vec<u8>)>, HostError> {
        let base = state::data_prefix(ns);
        let full_prefix = state::data_key(ns, prefix);
        // The overlay scans from `after` and stops at the first key without
        // the prefix, so an `after` that sorts before the prefix must become
        // "from the prefix" (it excludes nothing), or the scan would stop at
        // a key between the two.
        let after = molt_host_rules::storage::start(prefix, after).after();
        let full_after = after.map(|a| state::data_key(ns, a));
        let next = self
            .overlay
            .next(&full_prefix, full_after.as_deref())
            .map_err(host_err)?;
        Ok(next.map(|(k, v)| (k[base.len()..].to_vec(), v)))
    }

    fn emit_event(&mut self, event: Event) -> Result<(), HostError> {
        self.overlay.emit(event);
        Ok(())
    }

    fn resolve_package(&mut self, package: &Address) -> Result<Option<PackageInfo>, HostError> {
        Ok(resolve(self.overlay, package)
            .map_err(host_err)?
            .map(|v| package_info(&v)))
    }

    fn resolve_version(
        &mut self,
        original_id: &Address,
        version: u64,
    ) -> Result<Option<PackageInfo>, HostError> {
        Ok(dependency_version(self.overlay, original_id, version)
            .map_err(host_err)?
            .map(|v| package_info(&v)))
    }

    fn package_code(&mut self, package_id: &Address) -> Result<Vec<u8>, HostError> {
        let v = read_record::<PackageVersion>(self.overlay, &state::package_key(package_id))
            .map_err(host_err)?
            .ok_or_else(|| HostError::new(format!("no package {package_id}")))?;
        self.overlay
            .get(&state::code_key(&v.checksum))
            .map_err(host_err)?
            .ok_or_else(|| HostError::new(format!("code of {package_id} is missing")))
    }

    fn upgrade_cap_owner(&mut self, cap: &Address) -> Result<Option<Address>, HostError> {
        Ok(
            read_record::<UpgradeCap>(self.overlay, &state::cap_key(cap))
                .map_err(host_err)?
                .map(|c| c.owner),
        )
    }

    /// The ticket lives in the overlay under `ticket/` ++ cap until the
    /// upgrade of this transaction consumes it or the transaction ends
    /// (`upgrade::take_tickets`), so a ticket of an earlier transaction is
    /// never seen here.
    fn issued_ticket(&mut self, cap: &Address) -> Result<Option<Digest>, HostError> {
        let Some(bytes) = self
            .overlay
            .get(&state::ticket_key(cap))
            .map_err(host_err)?
        else {
            return Ok(None);
        };
        let digest: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            HostError::new(format!(
                "the ticket of UpgradeCap {cap} is {} bytes, not a 32-byte digest",
                bytes.len()
            ))
        })?;
        Ok(Some(Digest(digest)))
    }

    fn record_ticket(&mut self, ticket: UpgradeTicket) -> Result<(), HostError> {
        self.overlay.put(
            state::ticket_key(&ticket.cap),
            ticket.digest.as_bytes().to_vec(),
        );
        Ok(())
    }

    fn chain_info(&mut self, what: molt_vm::ChainInfo) -> Result<Option<Vec<u8>>, HostError> {
        crate::governance::chain_info(self.overlay, what, self.proposer).map_err(host_err)
    }

    fn governance_upgrade(
        &mut self,
        request: molt_vm::GovernanceUpgrade<'_>,
    ) -> Result<Result<PackageInfo, molt_vm::GovernanceRefusal>, HostError> {
        crate::governance::upgrade(self.overlay, request).map_err(host_err)
    }

    fn schedule_params(
        &mut self,
        params: &[u8],
    ) -> Result<Result<(), molt_vm::GovernanceRefusal>, HostError> {
        crate::governance::schedule_params(self.overlay, params).map_err(host_err)
    }

    fn schedule_validators(
        &mut self,
        validators: &[u8],
    ) -> Result<Result<(), molt_vm::GovernanceRefusal>, HostError> {
        crate::governance::schedule_validators(self.overlay, validators).map_err(host_err)
    }

    fn schedule_upgrade(
        &mut self,
        plan: &[u8],
        height: u64,
    ) -> Result<Result<(), molt_vm::GovernanceRefusal>, HostError> {
        crate::governance::schedule_upgrade(self.overlay, plan, height).map_err(host_err)
    }

    fn end_epoch(&mut self) -> Result<Result<(), molt_vm::GovernanceRefusal>, HostError> {
        crate::governance::end_epoch(self.overlay).map_err(host_err)
    }

    fn coin_balance(&mut self, account: &Address) -> Result<u64, HostError> {
        Ok(crate::execute::account(self.overlay, account)
            .map_err(host_err)?
            .balance)
    }

    fn coin_transfer(
        &mut self,
        from: &Address,
        to: &Address,
        amount: u64,
    ) -> Result<Result<(), u64>, HostError> {
        crate::coin::transfer(self.overlay, from, to, amount).map_err(host_err)
    }

    fn checkpoint(&mut self) {
        self.overlay.checkpoint();
    }

    fn commit(&mut self) {
        self.overlay.commit();
    }

    fn revert(&mut self) {
        self.overlay.revert();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use molt_store::{AuxBatch, Store, StoreConfig, WriteBatch};

    const NS: Address = Address([7; 32]);

    fn store(dir: &std::path::Path, committed: &[(&[u8], &[u8])]) -> Store {
        let store = Store::open(&dir.join("state.redb"), StoreConfig::default()).unwrap();
        let mut batch = WriteBatch::new();
        for (k, v) in committed {
            batch.put(state::data_key(&NS, k), v.to_vec());
        }
        store.commit(1, &batch, &AuxBatch::new()).unwrap();
        store
    }

    fn next(
        host: &mut RuntimeHost<'_, '_>,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Option<Vec<u8>> {
        host.storage_next(&NS, prefix, after)
            .unwrap()
            .map(|(k, _)| k)
    }

    #[test]
    fn storage_next_from_before_the_prefix_sees_this_transactions_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path(), &[(b"b/0", b"old")]);
        let mut overlay = Overlay::new(&store);
        let mut host = RuntimeHost {
            overlay: &mut overlay,
            proposer: None,
        };
        host.storage_set(&NS, b"a", b"1").unwrap();
        host.storage_set(&NS, b"b/1", b"2").unwrap();
        host.storage_remove(&NS, b"b/0").unwrap();
        // "a" sorts before "b/": it excludes no key of the prefix, and the
        // uncommitted "a" between them must not end the scan.
        assert_eq!(next(&mut host, b"b/", Some(b"a")), Some(b"b/1".to_vec()));
        assert_eq!(next(&mut host, b"b/", Some(b"")), Some(b"b/1".to_vec()));
        assert_eq!(next(&mut host, b"b/", None), Some(b"b/1".to_vec()));
        assert_eq!(next(&mut host, b"b/", Some(b"b/1")), None);
        assert_eq!(next(&mut host, b"b/", Some(b"b0")), None);
    }

    #[test]
    fn tickets_are_journaled_writes_of_the_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path(), &[]);
        let mut overlay = Overlay::new(&store);
        let mut host = RuntimeHost {
            overlay: &mut overlay,
            proposer: None,
        };
        let cap = Address([0xca; 32]);
        let ticket = UpgradeTicket {
            program: NS,
            cap,
            digest: Digest([0xd1; 32]),
        };
        assert_eq!(host.issued_ticket(&cap).unwrap(), None);
        host.checkpoint();
        host.record_ticket(ticket).unwrap();
        assert_eq!(host.issued_ticket(&cap).unwrap(), Some(ticket.digest));
        host.revert();
        assert_eq!(host.issued_ticket(&cap).unwrap(), None);
    }
}

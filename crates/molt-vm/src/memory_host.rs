//! An in-memory [`Host`]: ordered maps and an undo journal. For tests, the
//! bench, and SDK users who run programs without a node.

use crate::abi::PackageInfo;
use crate::error::HostError;
use crate::host::{Host, StorageEntry, UpgradeTicket};
use molt_types::{Address, Digest, Event, sha3_256};
use std::collections::BTreeMap;
use std::ops::Bound;

/// Storage, events and published packages, all in ordered maps (iteration
/// order never depends on hashing).
#[derive(Debug, Default, Clone)]
pub struct MemoryHost {
    storage: BTreeMap<(Address, Vec<u8>), Vec<u8>>,
    events: Vec<Event>,
    /// Every version by package id: its info and module bytes.
    packages: BTreeMap<Address, (PackageInfo, Vec<u8>)>,
    /// original id -> package id of the latest version.
    latest: BTreeMap<Address, Address>,
    /// Upgrade caps: cap id -> owner (an account or a program's original id).
    caps: BTreeMap<Address, Address>,
    /// Upgrade tickets issued so far, in order.
    tickets: Vec<UpgradeTicket>,
    /// One undo log per open checkpoint, innermost last.
    journal: Vec<Vec<Undo>>,
}

#[derive(Debug, Clone)]
enum Undo {
    /// Restore `key` to `previous` (`None`: remove it).
    Storage {
        key: (Address, Vec<u8>),
        previous: Option<Vec<u8>>,
    },
    /// Drop the last event.
    Event,
    /// Drop the last ticket.
    Ticket,
}

impl MemoryHost {
    pub fn new() -> Self {
        Self::default()
    }

    /// Publishes `code` as a package version and returns its info, with the
    /// checksum computed from `code`. The latest version of `original_id` is
    /// the one with the highest `version`.
    pub fn publish(
        &mut self,
        package_id: Address,
        original_id: Address,
        version: u64,
        owner: Address,
        code: Vec<u8>,
    ) -> PackageInfo {
        let info = PackageInfo {
            package_id,
            original_id,
            version,
            edition: 0,
            owner,
            checksum: sha3_256(&code),
        };
        let newer = match self
            .latest
            .get(&original_id)
            .and_then(|id| self.packages.get(id))
        {
            Some((current, _)) => version >= current.version,
            None => true,
        };
        if newer {
            self.latest.insert(original_id, package_id);
        }
        self.packages.insert(package_id, (info.clone(), code));
        info
    }

    /// The value at `key` in `namespace`.
    pub fn get(&self, namespace: &Address, key: &[u8]) -> Option<&[u8]> {
        self.storage
            .get(&(*namespace, key.to_vec()))
            .map(Vec::as_slice)
    }

    /// Writes directly, outside any call (test setup); not journaled.
    pub fn insert(&mut self, namespace: Address, key: &[u8], value: &[u8]) {
        self.storage
            .insert((namespace, key.to_vec()), value.to_vec());
    }

    /// All `(key, value)` pairs of `namespace`, in ascending key order.
    pub fn entries(&self, namespace: &Address) -> Vec<StorageEntry> {
        self.storage
            .range((*namespace, Vec::new())..)
            .take_while(|((ns, _), _)| ns == namespace)
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Events emitted so far, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Registers (or re-owns) upgrade cap `cap`, owned by `owner`: an
    /// account, or a program's original id. Test setup; not journaled.
    pub fn add_cap(&mut self, cap: Address, owner: Address) {
        self.caps.insert(cap, owner);
    }

    /// The owner of upgrade cap `cap`, if it exists.
    pub fn cap_owner(&self, cap: &Address) -> Option<Address> {
        self.caps.get(cap).copied()
    }

    /// Upgrade tickets issued by committed calls (and by the open ones), in
    /// order.
    pub fn tickets(&self) -> &[UpgradeTicket] {
        &self.tickets
    }

    /// Removes and returns every ticket, as a runtime does when the
    /// transaction that issued them ends (test helper; not journaled).
    pub fn take_tickets(&mut self) -> Vec<UpgradeTicket> {
        std::mem::take(&mut self.tickets)
    }

    /// How many checkpoints are open (0 outside a call).
    pub fn open_checkpoints(&self) -> usize {
        self.journal.len()
    }

    fn log(&mut self, undo: Undo) {
        if let Some(top) = self.journal.last_mut() {
            top.push(undo);
        }
    }
}

impl Host for MemoryHost {
    fn storage_get(
        &mut self,
        namespace: &Address,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, HostError> {
        Ok(self.get(namespace, key).map(<[u8]>::to_vec))
    }

    fn storage_has(&mut self, namespace: &Address, key: &[u8]) -> Result<bool, HostError> {
        Ok(self.get(namespace, key).is_some())
    }

    fn storage_set(
        &mut self,
        namespace: &Address,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), HostError> {
        let k = (*namespace, key.to_vec());
        let previous = self.storage.insert(k.clone(), value.to_vec());
        self.log(Undo::Storage { key: k, previous });
        Ok(())
    }

    fn storage_remove(&mut self, namespace: &Address, key: &[u8]) -> Result<bool, HostError> {
        let k = (*namespace, key.to_vec());
        match self.storage.remove(&k) {
            Some(previous) => {
                self.log(Undo::Storage {
                    key: k,
                    previous: Some(previous),
                });
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn storage_next(
        &mut self,
        namespace: &Address,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Option<StorageEntry>, HostError> {
        // The smallest key strictly greater than `after` is `after ++ [0]`.
        let start = match after {
            Some(after) if after >= prefix => {
                let mut s = after.to_vec();
                s.push(0);
                s
            }
            _ => prefix.to_vec(),
        };
        let found = self
            .storage
            .range((Bound::Included((*namespace, start)), Bound::Unbounded))
            .next()
            .filter(|((ns, k), _)| ns == namespace && k.starts_with(prefix))
            .map(|((_, k), v)| (k.clone(), v.clone()));
        Ok(found)
    }

    fn emit_event(&mut self, event: Event) -> Result<(), HostError> {
        self.events.push(event);
        self.log(Undo::Event);
        Ok(())
    }

    fn resolve_package(&mut self, package: &Address) -> Result<Option<PackageInfo>, HostError> {
        let id = self.latest.get(package).unwrap_or(package);
        Ok(self.packages.get(id).map(|(info, _)| info.clone()))
    }

    fn package_code(&mut self, package_id: &Address) -> Result<Vec<u8>, HostError> {
        self.packages
            .get(package_id)
            .map(|(_, code)| code.clone())
            .ok_or_else(|| HostError::new(format!("no code stored for package {package_id}")))
    }

    /// Issues the ticket if `cap` exists and is owned by `program`; refuses
    /// a second ticket for the same cap until [`MemoryHost::take_tickets`]
    /// (one ticket authorizes one upgrade).
    fn authorize_upgrade(
        &mut self,
        program: &Address,
        cap: &Address,
        digest: &Digest,
    ) -> Result<Result<(), String>, HostError> {
        let Some(owner) = self.caps.get(cap) else {
            return Ok(Err(format!("no upgrade cap with id {cap}")));
        };
        if owner != program {
            return Ok(Err(format!(
                "cap {cap} is owned by {owner}, not by this program {program}"
            )));
        }
        if let Some(t) = self.tickets.iter().find(|t| t.cap == *cap) {
            return Ok(Err(format!(
                "cap {cap} already has a ticket for module {} in this transaction",
                t.digest
            )));
        }
        self.tickets.push(UpgradeTicket {
            program: *program,
            cap: *cap,
            digest: *digest,
        });
        self.log(Undo::Ticket);
        Ok(Ok(()))
    }

    fn checkpoint(&mut self) {
        self.journal.push(Vec::new());
    }

    fn commit(&mut self) {
        if let Some(done) = self.journal.pop()
            && let Some(parent) = self.journal.last_mut()
        {
            parent.extend(done);
        }
    }

    fn revert(&mut self) {
        let Some(undo) = self.journal.pop() else {
            return;
        };
        for entry in undo.into_iter().rev() {
            match entry {
                Undo::Storage {
                    key,
                    previous: Some(v),
                } => {
                    self.storage.insert(key, v);
                }
                Undo::Storage {
                    key,
                    previous: None,
                } => {
                    self.storage.remove(&key);
                }
                Undo::Event => {
                    self.events.pop();
                }
                Undo::Ticket => {
                    self.tickets.pop();
                }
            }
        }
    }
}

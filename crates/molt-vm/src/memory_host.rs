//! An in-memory [`Host`]: ordered maps and an undo journal. For tests, the
//! bench, and SDK users who run programs without a node.
//!
//! It follows the node's rules (the conformance suite in
//! `programs/conformance` checks it against the node and the SDK's
//! `TestEnv`): storage namespaced by original id, `storage_next` in byte
//! order, events and tickets undone with the call that made them, and
//! tickets that live for one transaction, which here is one outermost
//! [`Vm::call`](crate::Vm::call).

use crate::abi::PackageInfo;
use crate::error::HostError;
use crate::host::{Host, StorageEntry, UpgradeTicket};
use molt_host_rules::storage::Start;
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
    /// Upgrade tickets of the running (or last) transaction, in order.
    tickets: Vec<UpgradeTicket>,
    /// Coin balances of accounts and packages (absent: 0).
    balances: BTreeMap<Address, u64>,
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
    /// Restore `account`'s balance to `previous`.
    Balance { account: Address, previous: u64 },
}

impl MemoryHost {
    pub fn new() -> Self {
        Self::default()
    }

    /// Publishes `code` as a package version and returns its info, with the
    /// checksum computed from `code` and the edition the node gives that
    /// version (`version - 1`: each upgrade adds one). The latest version of
    /// `original_id` is the one with the highest `version`.
    pub fn publish(
        &mut self,
        package_id: Address,
        original_id: Address,
        version: u64,
        owner: Address,
        code: Vec<u8>,
    ) -> PackageInfo {
        let edition = u16::try_from(version.saturating_sub(1)).unwrap_or(u16::MAX);
        let info = PackageInfo {
            package_id,
            original_id,
            version,
            edition,
            owner,
            checksum: sha3_256(&code),
        };
        self.install(info.clone(), code);
        info
    }

    /// Stores a package version exactly as `info` describes it (for example
    /// one read from a node's state). `info.checksum` should be the SHA3-256
    /// of `code`; if it is not, calls to this version fail with
    /// [`VmError::ChecksumMismatch`](crate::VmError::ChecksumMismatch), as on
    /// a node whose code does not match its record.
    pub fn install(&mut self, info: PackageInfo, code: Vec<u8>) {
        let newer = match self
            .latest
            .get(&info.original_id)
            .and_then(|id| self.packages.get(id))
        {
            Some((current, _)) => info.version >= current.version,
            None => true,
        };
        if newer {
            self.latest.insert(info.original_id, info.package_id);
        }
        self.packages.insert(info.package_id, (info, code));
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

    /// Upgrade tickets issued by the running transaction, or by the last one
    /// when none is running, in order. Each outermost call is one
    /// transaction: its tickets expire when the next one starts.
    pub fn tickets(&self) -> &[UpgradeTicket] {
        &self.tickets
    }

    /// Removes and returns every ticket, as a runtime's upgrade consumes
    /// them (test helper; not journaled).
    pub fn take_tickets(&mut self) -> Vec<UpgradeTicket> {
        std::mem::take(&mut self.tickets)
    }

    /// Sets `account`'s coin balance directly (test setup; not journaled).
    pub fn set_balance(&mut self, account: Address, balance: u64) {
        self.balances.insert(account, balance);
    }

    /// The coin balance of `account` (0 if it never held any).
    pub fn balance(&self, account: &Address) -> u64 {
        self.balances.get(account).copied().unwrap_or(0)
    }

    fn put_balance(&mut self, account: Address, balance: u64) {
        let previous = self.balance(&account);
        self.balances.insert(account, balance);
        self.log(Undo::Balance { account, previous });
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
        let start = match molt_host_rules::storage::start(prefix, after) {
            Start::After(after) => {
                let mut s = after.to_vec();
                s.push(0);
                s
            }
            Start::AtPrefix => prefix.to_vec(),
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

    fn upgrade_cap_owner(&mut self, cap: &Address) -> Result<Option<Address>, HostError> {
        Ok(self.caps.get(cap).copied())
    }

    fn issued_ticket(&mut self, cap: &Address) -> Result<Option<Digest>, HostError> {
        Ok(self
            .tickets
            .iter()
            .find(|t| t.cap == *cap)
            .map(|t| t.digest))
    }

    fn record_ticket(&mut self, ticket: UpgradeTicket) -> Result<(), HostError> {
        self.tickets.push(ticket);
        self.log(Undo::Ticket);
        Ok(())
    }

    fn coin_balance(&mut self, account: &Address) -> Result<u64, HostError> {
        Ok(self.balance(account))
    }

    fn coin_transfer(
        &mut self,
        from: &Address,
        to: &Address,
        amount: u64,
    ) -> Result<Result<(), u64>, HostError> {
        let held = self.balance(from);
        if held < amount {
            return Ok(Err(held));
        }
        self.put_balance(*from, held - amount);
        let credited = self.balance(to).saturating_add(amount);
        self.put_balance(*to, credited);
        Ok(Ok(()))
    }

    /// The outermost checkpoint opens a new transaction: the tickets of the
    /// previous one expire, as on the node, where a ticket no upgrade of its
    /// transaction consumed is dropped when the transaction ends.
    fn checkpoint(&mut self) {
        if self.journal.is_empty() {
            self.tickets.clear();
        }
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
                Undo::Balance { account, previous } => {
                    self.balances.insert(account, previous);
                }
            }
        }
    }
}

//! [`Query`]: read queries answered from one pinned committed state.
//!
//! A query that reads several things (a package, its versions and its cap;
//! a storage value, its proof and the root; a view call's code, storage and
//! block) must not mix two heights when a block commits in between. A
//! [`Query`] holds one store [`Snapshot`] taken by [`Runtime::query`], and
//! every read through it sees the committed state of [`Query::height`] and
//! the aux data (blocks, receipts) committed with it, whatever commits
//! meanwhile.
//!
//! Contract: a query never writes; an error is a storage failure (or a
//! corrupt record) of this node, not a fault of the question. Take one per
//! request and drop it when answered: while it lives, pages freed by later
//! commits are not reused (see molt-store's `Snapshot`).
//!
//! [`Runtime`]'s own read methods (`account`, `package`, `view`, ...) each
//! take a fresh query, so two calls may see two heights.

use crate::error::RuntimeError;
use crate::execute::account;
use crate::genesis::Validator;
use crate::host::{RuntimeHost, decode_record, package_info, read_record, resolve};
use crate::overlay::Overlay;
use crate::params::ChainParams;
use crate::runtime::{
    AUX_BLOCKS, AUX_RECEIPTS, PARAMS_KEY, ProvenValue, ReceiptRecord, Runtime, VALIDATORS_KEY,
    ViewError,
};
use crate::state::{self, Account, PackageRecord, PackageVersion, UpgradeCap};
use molt_store::Snapshot;
use molt_types::{Address, Block, SignedTransaction, TransactionId, codec};
use molt_vm::{CallContext, CallTarget};

/// Reads pinned to the committed state of one height.
#[derive(Debug)]
pub struct Query<'r> {
    pub(crate) runtime: &'r Runtime,
    pub(crate) snapshot: Snapshot,
    height: u64,
}

/// Why a storage value at a version cannot be given.
#[derive(Debug, thiserror::Error)]
pub enum StorageQueryError {
    #[error("no state at version {version}: the chain is at height {height}")]
    FutureVersion { version: u64, height: u64 },
    #[error("the state at version {version} cannot be read: {source}")]
    Unreadable {
        version: u64,
        source: molt_store::StoreError,
    },
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

impl Runtime {
    /// A query pinned to the latest committed state.
    pub fn query(&self) -> Result<Query<'_>, RuntimeError> {
        let snapshot = self.store().snapshot()?;
        let height = snapshot.latest_version().unwrap_or(0);
        Ok(Query {
            runtime: self,
            snapshot,
            height,
        })
    }
}

impl Query<'_> {
    fn overlay(&self) -> Overlay<'_> {
        Overlay::new(&self.snapshot)
    }

    /// The height of the committed state every answer is about.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// The block at `height`, if committed by [`Query::height`].
    pub fn block(&self, height: u64) -> Result<Option<Block>, RuntimeError> {
        if height > self.height {
            return Ok(None);
        }
        match self.snapshot.get_aux(AUX_BLOCKS, &height.to_be_bytes())? {
            None => Ok(None),
            Some(bytes) => Block::decode(&bytes)
                .map(Some)
                .map_err(|e| RuntimeError::Corrupt {
                    key: format!("block {height}"),
                    reason: e.to_string(),
                }),
        }
    }

    /// The block at [`Query::height`].
    pub fn latest_block(&self) -> Result<Block, RuntimeError> {
        self.block(self.height)?
            .ok_or_else(|| RuntimeError::Corrupt {
                key: "blocks".into(),
                reason: "the latest block is missing".into(),
            })
    }

    pub fn receipt(&self, id: &TransactionId) -> Result<Option<ReceiptRecord>, RuntimeError> {
        match self.snapshot.get_aux(AUX_RECEIPTS, id.as_bytes())? {
            None => Ok(None),
            Some(bytes) => codec::decode("receipt", &bytes, codec::limits::MAX_RECEIPT_BYTES)
                .map(Some)
                .map_err(|e| RuntimeError::Corrupt {
                    key: format!("receipt {id}"),
                    reason: e.to_string(),
                }),
        }
    }

    /// The transaction `id` and its receipt, if included.
    pub fn transaction(
        &self,
        id: &TransactionId,
    ) -> Result<Option<(SignedTransaction, ReceiptRecord)>, RuntimeError> {
        let Some(record) = self.receipt(id)? else {
            return Ok(None);
        };
        let block = self.block(record.height)?;
        let tx = block.and_then(|b| b.transactions.into_iter().nth(record.index as usize));
        Ok(tx.map(|t| (t, record)))
    }

    /// The chain parameters: what the next block obeys.
    pub fn params(&self) -> Result<ChainParams, RuntimeError> {
        Ok(read_record(&self.overlay(), PARAMS_KEY)?
            .unwrap_or_else(|| self.runtime.genesis_params().clone()))
    }

    pub fn validators(&self) -> Result<Vec<Validator>, RuntimeError> {
        Ok(read_record(&self.overlay(), VALIDATORS_KEY)?.unwrap_or_default())
    }

    pub fn account(&self, a: &Address) -> Result<Account, RuntimeError> {
        account(&self.overlay(), a)
    }

    /// A package version by package id, or the latest version by original id.
    pub fn package(&self, id: &Address) -> Result<Option<PackageVersion>, RuntimeError> {
        resolve(&self.overlay(), id)
    }

    /// Every version of the package that `id` names (either kind of id).
    pub fn package_history(
        &self,
        id: &Address,
    ) -> Result<Option<(PackageRecord, Vec<PackageVersion>)>, RuntimeError> {
        let overlay = self.overlay();
        let Some(v) = resolve(&overlay, id)? else {
            return Ok(None);
        };
        let Some(record) =
            read_record::<PackageRecord>(&overlay, &state::record_key(&v.original_id))?
        else {
            return Ok(None);
        };
        let mut versions = Vec::new();
        for pid in &record.versions {
            if let Some(v) = read_record::<PackageVersion>(&overlay, &state::package_key(pid))? {
                versions.push(v);
            }
        }
        Ok(Some((record, versions)))
    }

    /// The module bytes of a package version (by package id or original id).
    pub fn module(&self, id: &Address) -> Result<Option<Vec<u8>>, RuntimeError> {
        let overlay = self.overlay();
        match resolve(&overlay, id)? {
            Some(v) => overlay.get(&state::code_key(&v.checksum)),
            None => Ok(None),
        }
    }

    pub fn upgrade_cap(&self, cap: &Address) -> Result<Option<UpgradeCap>, RuntimeError> {
        read_record(&self.overlay(), &state::cap_key(cap))
    }

    /// A program storage value at `version` (default [`Query::height`])
    /// with its proof against that version's state root; `Ok(None)` if no
    /// package has id `package`.
    pub fn storage_with_proof(
        &self,
        package: &Address,
        key: &[u8],
        version: Option<u64>,
    ) -> Result<Option<ProvenValue>, StorageQueryError> {
        let version = version.unwrap_or(self.height);
        if version > self.height {
            return Err(StorageQueryError::FutureVersion {
                version,
                height: self.height,
            });
        }
        let Some(p) = self.package(package)? else {
            return Ok(None);
        };
        let state_key = state::data_key(&p.original_id, key);
        let unreadable = |source| StorageQueryError::Unreadable { version, source };
        let (value, proof) = self
            .snapshot
            .get_with_proof(&state_key, version)
            .map_err(unreadable)?;
        let state_root = self.snapshot.root(version).map_err(unreadable)?;
        Ok(Some(ProvenValue {
            value,
            proof,
            version,
            state_root,
            state_key,
        }))
    }

    /// At most `limit` package records in ascending order of original id,
    /// after `start_after` (exclusive): for browsing every package.
    pub fn packages_page(
        &self,
        start_after: Option<&Address>,
        limit: usize,
    ) -> Result<Vec<PackageRecord>, RuntimeError> {
        let after = start_after.map(state::record_key);
        let page = self
            .snapshot
            .iter_prefix_page(state::RECORD_PREFIX, after.as_deref(), limit)?;
        page.into_iter()
            .map(|(key, bytes)| decode_record(&key, &bytes))
            .collect()
    }

    /// At most `limit` storage items of the package `original` (its
    /// program's own keys, without the namespace prefix, and raw values)
    /// in ascending key order after `start_after` (exclusive).
    pub fn storage_page(
        &self,
        original: &Address,
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<molt_store::Entries, RuntimeError> {
        let prefix = state::data_prefix(original);
        let after = start_after.map(|k| state::data_key(original, k));
        let page = self
            .snapshot
            .iter_prefix_page(&prefix, after.as_deref(), limit)?;
        Ok(page
            .into_iter()
            .map(|(key, value)| (key[prefix.len()..].to_vec(), value))
            .collect())
    }

    /// Runs a `view` function on this state, at the latest block's height
    /// and time; nothing is kept.
    pub fn view(
        &self,
        package: &Address,
        function: &str,
        args: &[u8],
        gas_limit: u64,
    ) -> Result<(Vec<u8>, u64), ViewError> {
        let mut overlay = self.overlay();
        let version = resolve(&overlay, package)?.ok_or(ViewError::UnknownPackage(*package))?;
        let decl =
            version
                .interface
                .function(function)
                .ok_or_else(|| ViewError::UnknownFunction {
                    package: *package,
                    function: function.into(),
                })?;
        if !decl.view {
            return Err(ViewError::NotView(function.into()));
        }
        molt_interface::check_args(&version.interface, decl, args)
            .map_err(|e| ViewError::InvalidArguments(e.to_string()))?;
        let latest = self.latest_block()?;
        let params = self.params()?;
        let gas_limit = gas_limit.min(params.max_gas_budget);
        let vm = self.runtime.vm_for(&params)?;
        let info = package_info(&version);
        let mut host = RuntimeHost {
            overlay: &mut overlay,
            proposer: None,
        };
        let prepared = vm
            .load(&mut host, &info)
            .map_err(|e| ViewError::Failed(e.to_string()))?;
        let ctx = CallContext {
            caller: Address::ZERO,
            origin: Address::ZERO,
            block_height: latest.header.height,
            block_time_ms: latest.header.timestamp_ms,
            package: info,
            ticket_call: false,
            attached_coin: 0,
        };
        vm.call(
            &prepared,
            &mut host,
            ctx,
            &CallTarget::Function(function.into()),
            args,
            gas_limit,
        )
        .map(|out| (out.return_data, out.gas_used))
        .map_err(|e| ViewError::Failed(e.error.to_string()))
    }
}

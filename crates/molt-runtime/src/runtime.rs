//! [`Runtime`]: opening the chain state, producing blocks, answering queries.

use crate::blocks::PendingBlock;
use crate::error::{Rejection, RuntimeError};
use crate::execute::Executor;
use crate::genesis::{Genesis, GenesisPackage, Validator};
use crate::host::{RuntimeHost, package_info};
use crate::machine::{ProposeContext, StateMachine};
use crate::overlay::Overlay;
use crate::params::ChainParams;
use crate::query::StorageQueryError;
use crate::signatures::SignatureCache;
use crate::state::{self, Account, PackageRecord, PackageVersion, UpgradeCap};
use borsh::{BorshDeserialize, BorshSerialize};
use molt_store::{AuxBatch, StateProof, Store, StoreConfig};
use molt_types::BlockId;
use molt_types::{
    Address, Block, BlockHeader, ChainId, Digest, Receipt, SignedTransaction, TransactionId, codec,
    receipts_root, transactions_root,
};
use molt_vm::{CallContext, CallTarget, Vm};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

pub(crate) const AUX_BLOCKS: &str = "blocks";
pub(crate) const AUX_RECEIPTS: &str = "receipts";
const AUX_CHAIN: &str = "chain";
const CHAIN_INFO_KEY: &[u8] = b"info";
/// Chain state keys outside every program namespace (DESIGN.md 5).
pub(crate) const PARAMS_KEY: &[u8] = b"chain/params";
pub(crate) const VALIDATORS_KEY: &[u8] = b"chain/validators";
/// The validator set of the next epoch, once scheduled (by the framework).
pub(crate) const NEXT_VALIDATORS_KEY: &[u8] = b"chain/next_validators";
pub(crate) const EPOCH_KEY: &[u8] = b"chain/epoch";

/// The current epoch and the height of its first block.
#[derive(Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub(crate) struct EpochState {
    pub(crate) epoch: u64,
    pub(crate) start_height: u64,
}

/// The node-local module cache size (not consensus).
const MODULE_CACHE_CAPACITY: usize = 256;

/// A receipt with where its transaction was included.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ReceiptRecord {
    pub receipt: Receipt,
    pub height: u64,
    pub index: u32,
}

/// Facts fixed at genesis, kept beside the state.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
struct ChainInfo {
    chain_id: ChainId,
    genesis_id: Digest,
}

/// A block that was executed and committed, with its receipts and the
/// candidate transactions that could not be included.
#[derive(Debug, Clone)]
pub struct ProducedBlock {
    pub block: Block,
    pub receipts: Vec<Receipt>,
    pub rejected: Vec<(TransactionId, Rejection)>,
}

/// A storage value with its proof against the state root of `version`.
#[derive(Debug, Clone)]
pub struct ProvenValue {
    pub value: Option<Vec<u8>>,
    pub proof: StateProof,
    pub version: u64,
    pub state_root: Digest,
    /// The key in the state tree (the program key in its namespace).
    pub state_key: Vec<u8>,
}

/// Why a read-only call failed.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("no package with id {0}")]
    UnknownPackage(Address),
    #[error("package {package} has no function `{function}`")]
    UnknownFunction { package: Address, function: String },
    #[error("`{0}` is not a view function; send a transaction to call it")]
    NotView(String),
    #[error("the arguments do not match the interface: {0}")]
    InvalidArguments(String),
    #[error("the call failed: {0}")]
    Failed(String),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// The state machine over one store.
#[derive(Debug)]
pub struct Runtime {
    store: Store,
    /// The VM for the chain's current VM limits; replaced when a block reads
    /// other limits from state (its module cache starts empty then).
    vm: Mutex<Arc<Vm>>,
    chain_id: ChainId,
    /// Used only for a store without parameters in state.
    params: ChainParams,
    pending: Mutex<BTreeMap<BlockId, PendingBlock>>,
    pub(crate) executions: AtomicU64,
    staged: Mutex<Vec<(Vec<u8>, Vec<u8>)>>,
    /// This binary's release, for the upgrade halt (module `halt`).
    pub(crate) release: RwLock<semver::Version>,
    /// Transactions whose signature this node verified (module
    /// `signatures`); memory only.
    pub(crate) signatures: SignatureCache,
}

impl Runtime {
    /// Opens the chain state in `dir`, writing genesis if the store is empty.
    /// An existing store must belong to `genesis.chain_id`.
    pub fn open(dir: &Path, genesis: &Genesis, config: StoreConfig) -> Result<Self, RuntimeError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| RuntimeError::Genesis(format!("cannot create {}: {e}", dir.display())))?;
        let store = Store::open(&dir.join("state.redb"), config)?;
        Self::with_store(store, genesis)
    }

    /// The runtime over an open `store` (e.g. one over a fault-injecting
    /// backend in tests), writing genesis if it is empty.
    pub fn with_store(store: Store, genesis: &Genesis) -> Result<Self, RuntimeError> {
        genesis
            .params
            .validate()
            .map_err(|e| RuntimeError::Genesis(e.to_string()))?;
        let vm = Vm::new(genesis.params.vm.vm_config(MODULE_CACHE_CAPACITY))
            .map_err(|e| RuntimeError::VmConfig(e.to_string()))?;
        let mut rt = Runtime {
            store,
            vm: Mutex::new(Arc::new(vm)),
            chain_id: genesis.chain_id.clone(),
            params: genesis.params.clone(),
            pending: Mutex::new(BTreeMap::new()),
            executions: AtomicU64::new(0),
            staged: Mutex::new(Vec::new()),
            signatures: SignatureCache::default(),
            release: RwLock::new(
                semver::Version::parse(env!("CARGO_PKG_VERSION"))
                    .unwrap_or_else(|_| semver::Version::new(0, 0, 0)),
            ),
        };
        match rt.store.get_aux(AUX_CHAIN, CHAIN_INFO_KEY)? {
            None => rt.write_genesis(genesis)?,
            Some(bytes) => {
                let info: ChainInfo = codec::decode("chain info", &bytes, 4096).map_err(|e| {
                    RuntimeError::Corrupt {
                        key: "chain info".into(),
                        reason: e.to_string(),
                    }
                })?;
                if info.chain_id != genesis.chain_id {
                    return Err(RuntimeError::Genesis(format!(
                        "the data directory holds chain {}, not {}",
                        info.chain_id, genesis.chain_id
                    )));
                }
            }
        }
        Ok(rt)
    }

    fn write_genesis(&mut self, genesis: &Genesis) -> Result<(), RuntimeError> {
        if genesis.validators.is_empty() {
            return Err(RuntimeError::Genesis(
                "at least one validator is required".into(),
            ));
        }
        let mut overlay = Overlay::new(&self.store);
        for (addr, balance) in &genesis.accounts {
            overlay.put(
                state::account_key(addr),
                codec::encode(&Account {
                    balance: *balance,
                    sequence_number: 0,
                }),
            );
        }
        overlay.put(PARAMS_KEY.to_vec(), codec::encode(&genesis.params));
        for p in &genesis.packages {
            self.install_genesis_package(&mut overlay, p, genesis)?;
        }
        overlay.put(VALIDATORS_KEY.to_vec(), codec::encode(&genesis.validators));
        overlay.put(EPOCH_KEY.to_vec(), codec::encode(&EpochState::default()));
        let batch = overlay.into_batch();
        let chain_id = genesis.chain_id.clone();
        let proposer = genesis.validators[0].address;
        let timestamp_ms = genesis.timestamp_ms;
        self.store.commit_with(0, &batch, |root| {
            let header = BlockHeader {
                chain_id: chain_id.clone(),
                height: 0,
                epoch: 0,
                parent: Digest::ZERO,
                state_root: root,
                receipts_root: receipts_root(&[]),
                transactions_root: transactions_root(&[]),
                proposer,
                timestamp_ms,
            };
            let info = ChainInfo {
                chain_id: chain_id.clone(),
                genesis_id: header.id(),
            };
            let mut aux = AuxBatch::new();
            aux.put(
                AUX_BLOCKS,
                0u64.to_be_bytes().to_vec(),
                codec::encode(&Block {
                    header,
                    transactions: vec![],
                }),
            );
            aux.put(AUX_CHAIN, CHAIN_INFO_KEY.to_vec(), codec::encode(&info));
            aux
        })?;
        Ok(())
    }

    fn install_genesis_package(
        &self,
        overlay: &mut Overlay<'_>,
        p: &GenesisPackage,
        genesis: &Genesis,
    ) -> Result<(), RuntimeError> {
        let bad = |why: String| RuntimeError::Genesis(format!("package at {}: {why}", p.address));
        let vm = self.vm();
        let prepared = vm.prepare(&p.module).map_err(|e| bad(e.to_string()))?;
        let first_id = Address::from_digest(molt_types::sha3_256_tagged(
            b"molt/genesis-package-id",
            p.address.as_bytes(),
        ));
        let version = PackageVersion {
            package_id: first_id,
            original_id: p.address,
            version: 1,
            edition: 0,
            checksum: prepared.checksum(),
            owner: p.owner,
            interface: prepared.interface().clone(),
            height: 0,
            transaction: Digest::ZERO,
            policy: molt_types::UpgradePolicy::Compatible,
        };
        crate::execute::store_first_version(overlay, &p.module, &version);
        if version.interface.init {
            let ctx = CallContext {
                caller: p.owner,
                origin: p.owner,
                block_height: 0,
                block_time_ms: genesis.timestamp_ms,
                package: package_info(&version),
                ticket_call: false,
                attached_coin: 0,
            };
            let mut host = RuntimeHost {
                overlay,
                proposer: None,
            };
            vm.call(
                &prepared,
                &mut host,
                ctx,
                &CallTarget::Init,
                &[],
                genesis.params.max_gas_budget,
            )
            .map_err(|e| bad(format!("init failed: {}", e.error)))?;
        }
        Ok(())
    }

    pub fn chain_id(&self) -> &ChainId {
        &self.chain_id
    }

    /// The chain parameters in the latest finalized state: what the next
    /// block on it obeys.
    pub fn params(&self) -> Result<ChainParams, RuntimeError> {
        self.query()?.params()
    }

    pub(crate) fn genesis_params(&self) -> &ChainParams {
        &self.params
    }

    pub(crate) fn pending_lock(&self) -> MutexGuard<'_, BTreeMap<BlockId, PendingBlock>> {
        // Every update of the map is a single insert/retain: no half state.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The VM for `params`' limits: the current one, or a new one if the
    /// limits changed.
    pub(crate) fn vm_for(&self, params: &ChainParams) -> Result<Arc<Vm>, RuntimeError> {
        let config = params.vm.vm_config(MODULE_CACHE_CAPACITY);
        let mut vm = self.vm.lock().unwrap_or_else(|p| p.into_inner());
        if *vm.config() != config {
            *vm = Arc::new(Vm::new(config).map_err(|e| RuntimeError::VmConfig(e.to_string()))?);
        }
        Ok(Arc::clone(&vm))
    }

    /// Writes `value` at the chain-state `key` at the end of the next block
    /// this runtime executes, as a governance action will: for tests of
    /// parameters in state, before the framework exists. Every runtime that
    /// executes that block must be given the same writes. The write stays
    /// staged until a finalized block holds it: a proposed or verified block
    /// that is discarded (it lost its view) does not take it away.
    #[doc(hidden)]
    pub fn stage_chain_write(&self, key: Vec<u8>, value: Vec<u8>) {
        let mut staged = self.staged.lock().unwrap_or_else(|p| p.into_inner());
        // A later write of the same key replaces the earlier one.
        staged.retain(|(k, _)| *k != key);
        staged.push((key, value));
    }

    /// [`Runtime::stage_chain_write`] of new chain parameters.
    #[doc(hidden)]
    pub fn stage_params(&self, params: &ChainParams) {
        self.stage_chain_write(PARAMS_KEY.to_vec(), codec::encode(params));
    }

    /// The staged writes: every block this runtime executes (proposed or
    /// verified, on any branch) carries those its parent's state does not
    /// hold yet, so a block that loses to a sibling does not lose them.
    pub(crate) fn staged_writes(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.staged
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// After a finalize: the writes the finalized state holds are done.
    pub(crate) fn settle_staged_writes(&self) -> Result<(), RuntimeError> {
        let mut staged = self.staged.lock().unwrap_or_else(|p| p.into_inner());
        if staged.is_empty() {
            return Ok(());
        }
        let state = crate::overlay::Overlay::new(self.store());
        let mut keep = Vec::new();
        for (key, value) in staged.drain(..) {
            if state.get(&key)?.as_deref() != Some(value.as_slice()) {
                keep.push((key, value));
            }
        }
        *staged = keep;
        Ok(())
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The VM for the latest finalized state's limits.
    pub fn vm(&self) -> Arc<Vm> {
        Arc::clone(&self.vm.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The height of the last committed block.
    pub fn height(&self) -> u64 {
        self.store.latest_version().unwrap_or(0)
    }

    pub fn latest_block(&self) -> Result<Block, RuntimeError> {
        self.block(self.height())?
            .ok_or_else(|| RuntimeError::Corrupt {
                key: "blocks".into(),
                reason: "the latest block is missing".into(),
            })
    }

    /// The signatures this node has verified (module `signatures`).
    pub fn signatures(&self) -> &SignatureCache {
        &self.signatures
    }

    /// Admission check for the mempool: could `tx` be included in the next
    /// block (allowing sequence numbers ahead of the account's)?
    pub fn check_transaction(
        &self,
        tx: &SignedTransaction,
        encoded_len: usize,
    ) -> Result<(), Rejection> {
        let overlay = Overlay::new(&self.store);
        // A read failure of our own state is not the sender's fault; it
        // surfaces again, fatally, when a block is built.
        let params = self.params().unwrap_or_else(|_| self.params.clone());
        let vm = self.vm();
        let exec = Executor {
            vm: &vm,
            chain_id: &self.chain_id,
            params: &params,
            signatures: Some(&self.signatures),
        };
        exec.precheck(&overlay, tx, encoded_len, self.height() + 1, true)
            .map(|_| ())
    }

    /// The largest transaction the next block could include on the latest
    /// finalized state: the transaction limit, or the governance limit for
    /// resolves of approved payloads when it is higher (docs/framework.md,
    /// "Large resolve transactions"). For the RPC server's body limit; the
    /// rule itself is applied by [`Runtime::check_transaction`].
    pub fn largest_transaction_bytes(&self) -> usize {
        let normal = codec::limits::MAX_TRANSACTION_BYTES;
        let overlay = Overlay::new(&self.store);
        let params = self.params().unwrap_or_else(|_| self.params.clone());
        crate::large::governance_limit(&overlay, &params)
            .unwrap_or(normal)
            .max(normal)
    }

    /// Executes `candidates` in order as the next block, skipping those that
    /// cannot be included, and finalizes it: the one-validator producer of the
    /// dev chain, through [`StateMachine::propose`] and
    /// [`StateMachine::finalize`].
    pub fn produce_block(
        &self,
        candidates: &[SignedTransaction],
        proposer: Address,
        timestamp_ms: u64,
    ) -> Result<ProducedBlock, RuntimeError> {
        let parent = self.latest_block()?.header.id();
        let proposal = self.propose(
            ProposeContext {
                parent,
                proposer,
                timestamp_ms,
            },
            candidates,
        )?;
        self.finalize(&proposal.block.header.id())?;
        Ok(ProducedBlock {
            block: proposal.block,
            receipts: proposal.receipts,
            rejected: proposal.skipped,
        })
    }

    pub fn block(&self, height: u64) -> Result<Option<Block>, RuntimeError> {
        self.query()?.block(height)
    }

    pub fn receipt(&self, id: &TransactionId) -> Result<Option<ReceiptRecord>, RuntimeError> {
        self.query()?.receipt(id)
    }

    /// The transaction `id` and its receipt, if included.
    pub fn transaction(
        &self,
        id: &TransactionId,
    ) -> Result<Option<(SignedTransaction, ReceiptRecord)>, RuntimeError> {
        self.query()?.transaction(id)
    }

    pub fn account(&self, a: &Address) -> Result<Account, RuntimeError> {
        self.query()?.account(a)
    }

    pub fn validators(&self) -> Result<Vec<Validator>, RuntimeError> {
        self.query()?.validators()
    }

    /// A package version by package id, or the latest version by original id.
    pub fn package(&self, id: &Address) -> Result<Option<PackageVersion>, RuntimeError> {
        self.query()?.package(id)
    }

    /// Every version of the package that `id` names (either kind of id).
    pub fn package_history(
        &self,
        id: &Address,
    ) -> Result<Option<(PackageRecord, Vec<PackageVersion>)>, RuntimeError> {
        self.query()?.package_history(id)
    }

    /// The module bytes of a package version (by package id or original id).
    pub fn module(&self, id: &Address) -> Result<Option<Vec<u8>>, RuntimeError> {
        self.query()?.module(id)
    }

    pub fn upgrade_cap(&self, cap: &Address) -> Result<Option<UpgradeCap>, RuntimeError> {
        self.query()?.upgrade_cap(cap)
    }

    /// A program storage value at `version` (default latest) with its proof
    /// against that version's state root.
    pub fn storage_with_proof(
        &self,
        package: &Address,
        key: &[u8],
        version: Option<u64>,
    ) -> Result<Option<ProvenValue>, RuntimeError> {
        self.query()?
            .storage_with_proof(package, key, version)
            .map_err(|e| match e {
                StorageQueryError::Runtime(e) => e,
                StorageQueryError::Unreadable { source, .. } => source.into(),
                StorageQueryError::FutureVersion { version, height } => {
                    molt_store::StoreError::UnknownVersion {
                        version,
                        latest: Some(height),
                    }
                    .into()
                }
            })
    }

    /// Runs a `view` function against the latest state; nothing is kept.
    pub fn view(
        &self,
        package: &Address,
        function: &str,
        args: &[u8],
        gas_limit: u64,
    ) -> Result<(Vec<u8>, u64), ViewError> {
        self.query()?.view(package, function, args, gas_limit)
    }
}

//! [`StateMachine`] for [`Runtime`]: executing blocks on a finalized or
//! pending parent, verifying them, finalizing and discarding them.
//!
//! One function, [`Runtime::execute_block`], executes for both the proposer
//! and verifiers, so both compute the same write set, receipts and roots from
//! the same parent state. At the start of a block it reads from the parent's
//! state the chain parameters (gas, limits, VM limits, epoch length) and the
//! epoch: if the block is the first one past the epoch's length, the epoch
//! advances and the validator set scheduled for it (if any) takes over.

use crate::error::{Rejection, RuntimeError};
use crate::execute::{BlockEnv, Executor};
use crate::genesis::Validator;
use crate::host::read_record;
use crate::machine::{
    Finalized, InvalidBlock, Proposal, ProposeContext, StateMachine, Verdict, VerifyContext,
};
use crate::overlay::Overlay;
use crate::params::ChainParams;
use crate::runtime::{AUX_BLOCKS, AUX_RECEIPTS, ReceiptRecord, Runtime, VALIDATORS_KEY};
use molt_store::{AuxBatch, PendingView, PreparedBlock, Snapshot, StateRead, StoreError};
use molt_types::{
    Block, BlockHeader, BlockId, Receipt, SignedTransaction, codec, receipts_root,
    transactions_root,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;

/// A block executed here and not yet finalized or discarded.
#[derive(Debug, Clone)]
pub(crate) struct PendingBlock {
    pub(crate) block: Block,
    pub(crate) receipts: Vec<Receipt>,
    pub(crate) prepared: PreparedBlock,
}

/// `root` and every pending block that descends from it. Parents are at
/// lower heights, so one pass in height order finds every descendant.
fn descendants(pending: &BTreeMap<BlockId, PendingBlock>, root: BlockId) -> BTreeSet<BlockId> {
    let mut by_height: Vec<(u64, &BlockId, BlockId)> = pending
        .iter()
        .map(|(id, b)| (b.block.header.height, id, b.block.header.parent))
        .collect();
    by_height.sort();
    let mut found: BTreeSet<BlockId> = [root].into();
    for (_, child, parent) in by_height {
        if found.contains(&parent) {
            found.insert(*child);
        }
    }
    found
}

/// Why transaction `index` makes a block invalid: too large (distinct, see
/// [`InvalidBlock::TransactionTooLarge`]) or otherwise not includable.
fn not_includable(index: usize, tx: &SignedTransaction, reason: Rejection) -> InvalidBlock {
    let (index, id) = (index as u32, tx.id());
    if reason.is_size() {
        InvalidBlock::TransactionTooLarge { index, id, reason }
    } else {
        InvalidBlock::TransactionNotIncludable { index, id, reason }
    }
}

/// The parent a block executes on.
enum ParentState {
    Finalized(Snapshot),
    Pending(Box<PendingView>, PreparedBlock),
}

impl ParentState {
    fn read(&self) -> &dyn StateRead {
        match self {
            ParentState::Finalized(s) => s,
            ParentState::Pending(v, _) => v.as_ref(),
        }
    }
}

/// How the transactions of a block are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Skip what cannot be included or does not fit.
    Propose,
    /// Everything must be included, else the block is invalid.
    Verify,
}

/// What executing a block gave.
struct Executed {
    block: Block,
    receipts: Vec<Receipt>,
    prepared: PreparedBlock,
    skipped: Vec<(molt_types::TransactionId, Rejection)>,
}

impl Runtime {
    /// Block `block`'s header and `address`'s account on the state after
    /// it, for the latest finalized block or a pending one (`None`:
    /// neither). A proposer uses it to number a transaction of its own in
    /// the child.
    pub fn account_after(
        &self,
        block: &BlockId,
        address: &molt_types::Address,
    ) -> Result<Option<(BlockHeader, crate::state::Account)>, RuntimeError> {
        let Some((header, state)) = self.parent_state(block)? else {
            return Ok(None);
        };
        let overlay = Overlay::new(state.read());
        Ok(Some((header, crate::execute::account(&overlay, address)?)))
    }

    fn parent_state(
        &self,
        parent: &BlockId,
    ) -> Result<Option<(BlockHeader, ParentState)>, RuntimeError> {
        let latest = self.latest_block()?;
        if latest.header.id() == *parent {
            return Ok(Some((
                latest.header,
                ParentState::Finalized(self.store().snapshot()?),
            )));
        }
        let pending = self.pending_lock().get(parent).cloned();
        match pending {
            None => Ok(None),
            Some(p) => match self.store().view(&p.prepared) {
                Ok(view) => Ok(Some((
                    p.block.header.clone(),
                    ParentState::Pending(Box::new(view), p.prepared.clone()),
                ))),
                // The parent lost to a sibling or was superseded: unknown now.
                Err(StoreError::BranchDiscarded { .. } | StoreError::Superseded { .. }) => Ok(None),
                Err(e) => Err(e.into()),
            },
        }
    }

    /// Executes `txs` as the child of `parent`; `Err(Ok(reason))`: the block
    /// is invalid (verify mode only).
    #[allow(clippy::too_many_arguments)]
    fn execute_block(
        &self,
        parent: &BlockHeader,
        state: &ParentState,
        proposer: molt_types::Address,
        timestamp_ms: u64,
        txs: &[SignedTransaction],
        mode: Mode,
    ) -> Result<Result<Executed, InvalidBlock>, RuntimeError> {
        self.executions.fetch_add(1, Ordering::Relaxed);
        let read = state.read();
        let height = parent.height + 1;
        let mut overlay = Overlay::new(read);
        self.check_halt(&overlay, height)?;
        let (params, epoch) =
            crate::governance::begin_block(&mut overlay, height, self.genesis_params())?;
        let validators: Vec<Validator> = read_record(&overlay, VALIDATORS_KEY)?.unwrap_or_default();
        if !validators.iter().any(|v| v.address == proposer) {
            return match mode {
                Mode::Verify => Ok(Err(InvalidBlock::ProposerNotValidator {
                    proposer,
                    epoch: epoch.epoch,
                })),
                Mode::Propose => Err(RuntimeError::NotAValidator {
                    proposer,
                    epoch: epoch.epoch,
                }),
            };
        }
        let vm = self.vm_for(&params)?;
        let exec = Executor {
            vm: &vm,
            chain_id: self.chain_id(),
            params: &params,
            signatures: Some(&self.signatures),
        };
        // Signatures not checked at admission are checked now, in
        // parallel; execution then reads the verdicts (module `signatures`).
        self.signatures.verify_all(txs);
        let env = BlockEnv {
            height,
            timestamp_ms,
            proposer,
        };
        // The state before the block: what lets a large resolve in.
        let before = Overlay::new(read);
        let (mut gas, mut bytes) = (0u64, 0u64);
        let mut included = Vec::new();
        let mut receipts = Vec::new();
        let mut skipped = Vec::new();
        for (index, tx) in txs.iter().enumerate() {
            let len = tx.encode().len();
            let next_gas = gas.saturating_add(tx.transaction.gas_budget);
            let next_bytes = bytes.saturating_add(len as u64);
            if mode == Mode::Propose
                && (next_gas > params.max_block_gas || next_bytes > params.max_block_bytes)
            {
                continue; // no room left; it stays in the mempool
            }
            match exec.apply(&mut overlay, &before, tx, len, env)? {
                Ok(receipt) => {
                    gas = next_gas;
                    bytes = next_bytes;
                    included.push(tx.clone());
                    receipts.push(receipt);
                }
                Err(reason) => match mode {
                    Mode::Propose => skipped.push((tx.id(), reason)),
                    Mode::Verify => return Ok(Err(not_includable(index, tx, reason))),
                },
            }
        }
        for (key, value) in self.staged_writes() {
            // Once on this branch (the parent's state holds it), not again.
            if overlay.get(&key)?.as_deref() != Some(value.as_slice()) {
                overlay.put(key, value);
            }
        }
        let batch = overlay.into_batch();
        let prepared = match state {
            ParentState::Finalized(_) => self.store().prepare(height, batch)?,
            ParentState::Pending(_, p) => self.store().prepare_child(p, batch)?,
        };
        let ids: Vec<_> = included.iter().map(|t| t.id()).collect();
        let block = Block {
            header: BlockHeader {
                chain_id: self.chain_id().clone(),
                height,
                epoch: epoch.epoch,
                parent: parent.id(),
                state_root: prepared.root(),
                receipts_root: receipts_root(&receipts),
                transactions_root: transactions_root(&ids),
                proposer,
                timestamp_ms,
            },
            transactions: included,
        };
        Ok(Ok(Executed {
            block,
            receipts,
            prepared,
            skipped,
        }))
    }

    /// Records `e` as pending, unless the same block already is: an earlier
    /// execution of it (a verification that raced this one, or the same
    /// proposal made again) may already carry children, which stand on its
    /// prepared layer. Replacing it would put them on a branch the store
    /// discards when the block commits (`StoreError::BranchDiscarded`).
    /// Both executions are of the same block on the same parent, so they
    /// are equal; the first one is kept.
    fn keep_pending(&self, e: &Executed) -> BlockId {
        let id = e.block.header.id();
        self.pending_lock()
            .entry(id)
            .or_insert_with(|| PendingBlock {
                block: e.block.clone(),
                receipts: e.receipts.clone(),
                prepared: e.prepared.clone(),
            });
        id
    }

    /// How many blocks this runtime executed (proposed or verified) since it
    /// was opened: finalizing never executes.
    pub fn executions(&self) -> u64 {
        self.executions.load(Ordering::Relaxed)
    }

    /// Ids of the blocks pending here, in id order.
    pub fn pending_blocks(&self) -> Vec<BlockId> {
        self.pending_lock().keys().copied().collect()
    }

    fn verify_header(&self, parent: &BlockHeader, block: &Block) -> Option<InvalidBlock> {
        let h = &block.header;
        if h.chain_id != *self.chain_id() {
            return Some(InvalidBlock::WrongChain {
                expected: self.chain_id().to_string(),
                found: h.chain_id.to_string(),
            });
        }
        if h.height != parent.height + 1 {
            return Some(InvalidBlock::WrongHeight {
                expected: parent.height + 1,
                found: h.height,
            });
        }
        if h.timestamp_ms <= parent.timestamp_ms {
            return Some(InvalidBlock::TimestampNotAfterParent {
                timestamp_ms: h.timestamp_ms,
                parent_ms: parent.timestamp_ms,
            });
        }
        let ids: Vec<_> = block.transactions.iter().map(|t| t.id()).collect();
        let root = transactions_root(&ids);
        if root != h.transactions_root {
            return Some(InvalidBlock::TransactionsRootMismatch {
                expected: root,
                found: h.transactions_root,
            });
        }
        None
    }

    fn verify_limits(
        &self,
        ctx: VerifyContext,
        params: &ChainParams,
        block: &Block,
    ) -> Option<InvalidBlock> {
        let h = &block.header;
        if h.timestamp_ms > ctx.now_ms.saturating_add(params.max_clock_drift_ms) {
            return Some(InvalidBlock::TimestampTooFarAhead {
                timestamp_ms: h.timestamp_ms,
                now_ms: ctx.now_ms,
                drift_ms: params.max_clock_drift_ms,
            });
        }
        let gas = block
            .transactions
            .iter()
            .fold(0u64, |g, t| g.saturating_add(t.transaction.gas_budget));
        if gas > params.max_block_gas {
            return Some(InvalidBlock::GasLimitExceeded {
                gas,
                limit: params.max_block_gas,
            });
        }
        let size = block
            .transactions
            .iter()
            .fold(0u64, |s, t| s.saturating_add(t.encode().len() as u64));
        if size > params.max_block_bytes {
            return Some(InvalidBlock::SizeLimitExceeded {
                size,
                limit: params.max_block_bytes,
            });
        }
        None
    }
}

impl StateMachine for Runtime {
    fn propose(
        &self,
        ctx: ProposeContext,
        candidates: &[SignedTransaction],
    ) -> Result<Proposal, RuntimeError> {
        let Some((parent, state)) = self.parent_state(&ctx.parent)? else {
            return Err(RuntimeError::UnknownParent { parent: ctx.parent });
        };
        // Block time never goes backwards, whatever the proposer's clock says.
        let timestamp_ms = ctx.timestamp_ms.max(parent.timestamp_ms.saturating_add(1));
        let executed = match self.execute_block(
            &parent,
            &state,
            ctx.proposer,
            timestamp_ms,
            candidates,
            Mode::Propose,
        )? {
            Ok(e) => e,
            Err(invalid) => return Err(RuntimeError::InvalidBlock(invalid.to_string())),
        };
        self.keep_pending(&executed);
        Ok(Proposal {
            block: executed.block,
            receipts: executed.receipts,
            skipped: executed.skipped,
        })
    }

    fn verify(&self, ctx: VerifyContext, block: &Block) -> Result<Verdict, RuntimeError> {
        let id = block.header.id();
        if self.pending_lock().contains_key(&id) || self.latest_block()?.header.id() == id {
            return Ok(Verdict::Valid);
        }
        let Some((parent, state)) = self.parent_state(&block.header.parent)? else {
            return Ok(Verdict::Invalid(InvalidBlock::UnknownParent {
                parent: block.header.parent,
            }));
        };
        if let Some(invalid) = self.verify_header(&parent, block) {
            return Ok(Verdict::Invalid(invalid));
        }
        // The limits the block is held to are those it starts with: at an
        // epoch boundary, the newly scheduled parameters.
        let (params, _) = crate::governance::begin_block(
            &mut Overlay::new(state.read()),
            block.header.height,
            self.genesis_params(),
        )?;
        if let Some(invalid) = self.verify_limits(ctx, &params, block) {
            return Ok(Verdict::Invalid(invalid));
        }
        // Sizes first, before anything runs: a transaction over the limit
        // must be a resolve of a payload approved on the parent's state.
        let before = Overlay::new(state.read());
        for (index, tx) in block.transactions.iter().enumerate() {
            let len = tx.encode().len();
            if let Err(reason) = crate::large::check_size(&before, &params, tx, len)? {
                return Ok(Verdict::Invalid(not_includable(index, tx, reason)));
            }
        }
        let h = &block.header;
        let executed = match self.execute_block(
            &parent,
            &state,
            h.proposer,
            h.timestamp_ms,
            &block.transactions,
            Mode::Verify,
        )? {
            Ok(e) => e,
            Err(invalid) => return Ok(Verdict::Invalid(invalid)),
        };
        let mine = &executed.block.header;
        if mine.epoch != h.epoch {
            return Ok(Verdict::Invalid(InvalidBlock::WrongEpoch {
                expected: mine.epoch,
                found: h.epoch,
            }));
        }
        if mine.state_root != h.state_root {
            return Ok(Verdict::Invalid(InvalidBlock::StateRootMismatch {
                expected: mine.state_root,
                found: h.state_root,
            }));
        }
        if mine.receipts_root != h.receipts_root {
            return Ok(Verdict::Invalid(InvalidBlock::ReceiptsRootMismatch {
                expected: mine.receipts_root,
                found: h.receipts_root,
            }));
        }
        debug_assert_eq!(mine.id(), id);
        self.keep_pending(&executed);
        Ok(Verdict::Valid)
    }

    fn finalize(&self, id: &BlockId) -> Result<Finalized, RuntimeError> {
        let latest = self.latest_block()?;
        if latest.header.id() == *id {
            let mut receipts = Vec::new();
            for tx in &latest.transactions {
                if let Some(r) = self.receipt(&tx.id())? {
                    receipts.push(r.receipt);
                }
            }
            return Ok(Finalized {
                block: latest,
                receipts,
            });
        }
        let Some(p) = self.pending_lock().get(id).cloned() else {
            return Err(RuntimeError::UnknownBlock { id: *id });
        };
        if p.block.header.parent != latest.header.id() {
            return Err(RuntimeError::ParentNotFinalized { id: *id });
        }
        let height = p.block.header.height;
        let block = p.block.clone();
        let receipts = p.receipts.clone();
        self.store().apply(&p.prepared, |_root| {
            let mut aux = AuxBatch::new();
            aux.put(
                AUX_BLOCKS,
                height.to_be_bytes().to_vec(),
                codec::encode(&block),
            );
            for (index, receipt) in receipts.iter().enumerate() {
                let record = ReceiptRecord {
                    receipt: receipt.clone(),
                    height,
                    index: index as u32,
                };
                aux.put(
                    AUX_RECEIPTS,
                    receipt.transaction_id.as_bytes().to_vec(),
                    codec::encode(&record),
                );
            }
            aux
        })?;
        self.settle_staged_writes()?;
        // Keep only the descendants of the finalized block.
        let mut pending = self.pending_lock();
        pending.remove(id);
        let keep = descendants(&pending, *id);
        pending.retain(|k, _| keep.contains(k));
        Ok(Finalized {
            block: p.block,
            receipts: p.receipts,
        })
    }

    fn discard(&self, id: &BlockId) {
        let mut pending = self.pending_lock();
        let gone = descendants(&pending, *id);
        pending.retain(|k, _| !gone.contains(k));
    }

    fn check_transaction(&self, tx: &SignedTransaction) -> Result<(), Rejection> {
        Runtime::check_transaction(self, tx, tx.encode().len())
    }
}

//! The node on a network: the [`Chain`] the consensus engine drives, over
//! the node's runtime, mempool, journal and subscribers.
//!
//! With [`NetworkSettings`] in its [`crate::NodeConfig`], a node starts
//! `molt_consensus::Engine` instead of the single producer: blocks are
//! proposed by the round's leader from its mempool, verified by every
//! validator, and finalized when simplex finalizes them. After each
//! finalized block the node removes what was included from its mempool,
//! drops what can never be included on the finalized state, compacts or
//! flushes its journal, and announces the block to subscribers, as the dev
//! producer does. Transactions accepted over RPC are relayed to every peer;
//! relayed ones are admitted like RPC submissions, and not relayed again.
//!
//! Protocol upgrades: once the finalized block is at an upgrade plan's
//! height and this binary is older than the plan's release
//! ([`molt_runtime::Runtime::halted_for_upgrade`]), the node halts (module
//! `halt`). Past that height the runtime answers `propose` and `verify`
//! with `RuntimeError::HaltedForUpgrade`, so this node neither proposes nor
//! votes for any block above it, and the engine never finalizes one here.

use crate::producer::{NodeError, Shared, settle};
use crate::rpc;
use crate::telemetry::TimedRuntime;
use molt_consensus::{Chain, Engine, EngineConfig, EngineHandle, Peer, Role};
use molt_runtime::{Finalized, ProducedBlock, Rejection, RuntimeError};
use molt_types::{Block, BlockId, SecretKey, SignedTransaction, TransactionId};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// How a node joins a network.
#[derive(Debug, Clone)]
pub struct NetworkSettings {
    /// This node's key: a validator's, or any key for a full node.
    pub key: SecretKey,
    pub role: Role,
    /// Where peers connect to this node.
    pub listen: SocketAddr,
    /// The other nodes: validators (dialed) and full nodes (accepted).
    pub peers: Vec<Peer>,
    /// How long to wait for a leader's proposal; `None`: from the block time.
    pub leader_timeout: Option<Duration>,
}

impl NetworkSettings {
    /// A one-validator network of `key` alone, listening on a free loopback
    /// port: the dev chain.
    pub fn solo(key: SecretKey) -> Self {
        NetworkSettings {
            key,
            role: Role::Validator,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            peers: Vec::new(),
            leader_timeout: None,
        }
    }
}

/// The node as the engine sees it: its shared state and its runtime,
/// timed (see module `telemetry`).
#[derive(Debug)]
pub(crate) struct NodeChain(pub(crate) Arc<Shared>, TimedRuntime, Option<SecretKey>);

impl NodeChain {
    /// `signer`: a validator's key, which signs its proposer signal.
    pub(crate) fn new(shared: Arc<Shared>, signer: Option<SecretKey>) -> Self {
        NodeChain(Arc::clone(&shared), TimedRuntime::new(shared), signer)
    }
}

impl Chain for NodeChain {
    type Machine = TimedRuntime;

    fn machine(&self) -> &TimedRuntime {
        &self.1
    }

    fn latest_block(&self) -> Result<Block, RuntimeError> {
        self.0.runtime.latest_block()
    }

    fn block_at(&self, height: u64) -> Result<Option<Block>, RuntimeError> {
        self.0.runtime.block(height)
    }

    fn is_pending(&self, id: &BlockId) -> bool {
        self.0.runtime.pending_blocks().contains(id)
    }

    fn candidates(&self, max: usize, parent: &BlockId) -> Vec<SignedTransaction> {
        let signal = *crate::producer::lock(&self.0.proposer_signal);
        let (Some(hash), Some(key)) = (signal, &self.2) else {
            return crate::producer::lock(&self.0.mempool).candidates(max);
        };
        let mut txs = crate::producer::lock(&self.0.mempool).candidates(max.saturating_sub(1));
        if let Some(tx) =
            crate::signal::signal_transaction(&self.0.runtime, key, parent, hash, &txs)
        {
            txs.push(tx);
        }
        txs
    }

    fn skipped(&self, skipped: &[(TransactionId, Rejection)]) {
        // A skip on a pending parent may be undone by a fork: the mempool is
        // only pruned against finalized state (in `finalized`).
        if !skipped.is_empty() {
            tracing::debug!(skipped = skipped.len(), "candidates not included");
        }
    }

    fn finalized(&self, finalized: &Finalized) -> Result<(), String> {
        let shared = &self.0;
        let settling = std::time::Instant::now();
        // What can never be included on the finalized state leaves the mempool.
        let rejected: Vec<(TransactionId, Rejection)> = {
            let pool = crate::producer::lock(&shared.mempool);
            let included: std::collections::BTreeSet<TransactionId> = finalized
                .block
                .transactions
                .iter()
                .map(|t| t.id())
                .collect();
            pool.transactions()
                .filter(|t| !included.contains(&t.id()))
                .filter_map(|t| {
                    shared
                        .runtime
                        .check_transaction(t, t.encode().len())
                        .err()
                        .map(|why| (t.id(), why))
                })
                .collect()
        };
        let produced = ProducedBlock {
            block: finalized.block.clone(),
            receipts: finalized.receipts.clone(),
            rejected,
        };
        settle(shared, &produced).map_err(|e| e.to_string())?;
        let execute = shared.telemetry.take_executed(&produced.block);
        shared.telemetry.finalized(
            &produced.block,
            &produced.rejected,
            execute,
            self.1.last_commit() + settling.elapsed(),
        );
        let _ = shared
            .blocks
            .send(Arc::new(rpc::BlockNotice::new(&produced)));
        // The block at an upgrade plan's height is final and durable: if
        // this binary may not pass it, the node halts (module `halt`).
        if let Some(plan) = shared.check_halt().map_err(|e| e.to_string())? {
            tracing::info!(
                height = produced.block.header.height,
                version = %plan.version,
                "finalized the last block before a protocol upgrade; halting"
            );
        }
        Ok(())
    }

    fn gossiped(&self, tx: SignedTransaction, encoded: &[u8]) {
        let shared = &self.0;
        if crate::producer::lock(&shared.mempool).contains(&tx.id()) {
            return;
        }
        if shared.runtime.check_transaction(&tx, encoded.len()).is_ok()
            && let Err(e) = shared.admit_unrelayed(tx, encoded)
        {
            tracing::debug!("relayed transaction not admitted: {e}");
        }
    }
}

/// Starts the engine for `settings` over the node's shared state.
pub(crate) fn start_engine(
    shared: &Arc<Shared>,
    settings: &NetworkSettings,
    data_dir: &std::path::Path,
    block_time: Duration,
    max_block_transactions: usize,
) -> Result<EngineHandle, NodeError> {
    let runtime = &shared.runtime;
    let genesis_block = runtime
        .block(0)?
        .ok_or_else(|| NodeError::Task("the chain has no block at height 0".into()))?;
    let validators = runtime
        .validators()?
        .into_iter()
        .map(|v| v.public_key)
        .collect();
    let config = EngineConfig {
        chain_id: runtime.chain_id().to_string(),
        key: settings.key.clone(),
        role: settings.role,
        validators,
        peers: settings.peers.clone(),
        listen: settings.listen,
        storage_dir: data_dir.join("consensus"),
        block_interval: block_time,
        leader_timeout: settings
            .leader_timeout
            .unwrap_or_else(|| EngineConfig::default_leader_timeout(block_time)),
        max_block_transactions,
        genesis_block,
    };
    let signer = (settings.role == Role::Validator).then(|| settings.key.clone());
    let handle = Engine::start(config, Arc::new(NodeChain::new(Arc::clone(shared), signer)))
        .map_err(|e| NodeError::Consensus(e.to_string()))?;
    shared.set_relay(handle.relay());
    shared.telemetry.metrics.set_peers(settings.peers.len());
    Ok(handle)
}

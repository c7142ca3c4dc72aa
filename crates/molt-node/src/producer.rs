//! Running a node: the block producer loop and the RPC server.
//!
//! Start-up opens the chain state, recovers the mempool from its journal
//! (see the `journal` module), then starts the RPC server, the admin
//! endpoint and either the consensus engine (module `network`; the dev
//! chain is a one-validator network) or, with no network settings, the
//! single producer: every `block_time` it takes the mempool's candidates,
//! executes and commits them as the next block, removes what was included
//! or can never be, compacts and flushes the journal, and announces the
//! block to subscribers. On both paths a node whose binary may not pass an
//! upgrade plan's height halts there (module `halt`).

use crate::halt::UpgradeState;
use crate::journal::{JournalError, MempoolJournal, readmit};
use crate::mempool::{Mempool, MempoolConfig, MempoolError};
use crate::network::{NetworkSettings, start_engine};
use crate::rpc;
use crate::server::{self, RpcConfig, RpcServer};
use crate::status::RpcLoad;
use crate::version::NodeVersion;
use molt_consensus::TransactionRelay;
use molt_runtime::{Genesis, PlanError, Rejection, Runtime, RuntimeError};
use molt_store::StoreConfig;
use molt_types::{Address, SignedTransaction, TransactionId, UpgradePlan};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// What a node needs to start.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub data_dir: PathBuf,
    pub rpc_addr: SocketAddr,
    pub block_time: Duration,
    pub genesis: Genesis,
    pub mempool: MempoolConfig,
    /// Most transactions in one block.
    pub max_block_transactions: usize,
    pub store: StoreConfig,
    /// Limits and timeouts of the RPC server.
    pub rpc: RpcConfig,
    /// Join a network through the consensus engine; `None`: the single
    /// producer (propose and finalize every `block_time`, no peers).
    pub network: Option<NetworkSettings>,
    /// This binary's release, commit and protocol version; the release
    /// decides whether the node may pass an upgrade plan's height.
    pub version: NodeVersion,
    /// The admin endpoint's socket (module `admin`); `None`: no endpoint.
    pub admin_socket: Option<PathBuf>,
    /// Dev chains only: a protocol upgrade the node schedules in its next
    /// block unless chain state already holds it (module `halt`).
    pub schedule_upgrade: Option<UpgradePlan>,
    /// What this validator's blocks signal for from the start (module
    /// `signal`); the admin endpoint changes it at run time.
    pub signal: Option<molt_types::Digest>,
}

impl NodeConfig {
    /// A dev chain in `data_dir` serving RPC on 127.0.0.1:`port`: a
    /// one-validator network (the dev validator key) on the consensus engine.
    pub fn dev(data_dir: PathBuf, port: u16, block_time: Duration) -> Self {
        NodeConfig {
            admin_socket: Some(data_dir.join(crate::admin::ADMIN_SOCKET)),
            data_dir,
            rpc_addr: SocketAddr::from(([127, 0, 0, 1], port)),
            block_time,
            genesis: Genesis::dev(),
            mempool: MempoolConfig::default(),
            max_block_transactions: 5_000,
            store: StoreConfig::default(),
            rpc: RpcConfig::default(),
            network: Some(NetworkSettings::solo(molt_runtime::dev_validator_key())),
            version: NodeVersion::of_this_crate(),
            schedule_upgrade: None,
            signal: None,
        }
    }
}

/// Why the node failed to start, or stopped producing.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Rpc(#[from] server::ServeError),
    #[error("the block time must be at least 1 ms")]
    BlockTime,
    #[error("a node task failed unexpectedly: {0}")]
    Task(String),
    #[error("consensus: {0}")]
    Consensus(String),
    #[error("the upgrade plan cannot be used: {0}")]
    Plan(#[from] PlanError),
    #[error("the admin endpoint could not start at {path}: {source}")]
    Admin {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Why a submitted transaction was not accepted into the mempool.
#[derive(Debug, thiserror::Error)]
pub enum AdmitError {
    #[error(transparent)]
    Mempool(#[from] MempoolError),
    #[error("the node could not record the transaction, so it was not accepted: {0}")]
    Journal(#[from] JournalError),
}

/// What the RPC handlers and the producer share.
#[derive(Debug)]
pub struct Shared {
    pub runtime: Runtime,
    pub mempool: Mutex<Mempool>,
    /// The mempool's journal; lock after `mempool`, never before.
    pub journal: Mutex<MempoolJournal>,
    /// Every committed block, as JSON with its receipts, for subscribers.
    pub blocks: broadcast::Sender<Arc<rpc::BlockNotice>>,
    /// Open RPC connections and live subscriptions.
    pub load: RpcLoad,
    /// The RPC server's configuration, for `molt_nodeStatus`.
    pub rpc: RpcConfig,
    /// Becomes true when the node stops: the producer and subscriptions end.
    pub stopping: watch::Sender<bool>,
    /// On a network: relays accepted transactions to peers.
    relay: OnceLock<TransactionRelay>,
    /// Block timings and metrics (module `telemetry`).
    pub telemetry: crate::telemetry::Telemetry,
    /// This binary's version, for `molt_nodeStatus` and the admin endpoint.
    pub version: NodeVersion,
    /// Running, halted or ready for an upgrade (module `halt`).
    upgrade: Mutex<UpgradeState>,
    /// The latest committed height when this node started.
    pub started_at_height: u64,
    /// Becomes the plan once the finalized chain reached a plan's height
    /// that this binary may not pass (set after a finalized block, or at
    /// start): the node then halts (module `halt`).
    pub(crate) halt_signal: watch::Sender<Option<UpgradePlan>>,
    /// The execution hash this validator's blocks signal for (module
    /// `signal`); `None`: no signal.
    pub proposer_signal: Mutex<Option<molt_types::Digest>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// Shared state over an opened runtime and journal with an empty mempool.
    pub fn new(
        runtime: Runtime,
        mempool: Mempool,
        journal: MempoolJournal,
        rpc: RpcConfig,
    ) -> Self {
        Shared {
            started_at_height: runtime.height(),
            runtime,
            mempool: Mutex::new(mempool),
            journal: Mutex::new(journal),
            blocks: broadcast::channel(256).0,
            load: RpcLoad::default(),
            rpc,
            stopping: watch::channel(false).0,
            relay: OnceLock::new(),
            telemetry: Default::default(),
            version: NodeVersion::of_this_crate(),
            upgrade: Mutex::new(UpgradeState::Running),
            halt_signal: watch::channel(None).0,
            proposer_signal: Mutex::new(None),
        }
    }

    /// Relay accepted transactions through `relay` from now on.
    pub(crate) fn set_relay(&self, relay: TransactionRelay) {
        let _ = self.relay.set(relay);
    }

    /// The node's upgrade state (running, halted, ready).
    pub fn upgrade_state(&self) -> MutexGuard<'_, UpgradeState> {
        lock(&self.upgrade)
    }

    /// Asks the runtime, the source of truth, whether this binary halted
    /// for an upgrade at the latest finalized block; if so, signals the
    /// halt (once) and returns the plan.
    pub(crate) fn check_halt(&self) -> Result<Option<UpgradePlan>, RuntimeError> {
        let plan = self.runtime.halted_for_upgrade()?;
        if let Some(plan) = &plan
            && self.halt_signal.borrow().is_none()
        {
            self.halt_signal.send_replace(Some(plan.clone()));
        }
        Ok(plan)
    }

    /// Admits a transaction that passed the runtime's check: into the
    /// mempool, then into the journal; if journaling fails it is taken out
    /// of the mempool again, so an accepted transaction is always journaled.
    /// On a network, an admitted transaction is also relayed to every peer.
    pub fn admit(
        &self,
        tx: SignedTransaction,
        encoded: &[u8],
    ) -> Result<TransactionId, AdmitError> {
        let id = self.admit_unrelayed(tx, encoded)?;
        if let Some(relay) = self.relay.get() {
            relay.relay(encoded.to_vec());
        }
        Ok(id)
    }

    /// [`Shared::admit`] without relaying (for transactions peers relayed).
    pub fn admit_unrelayed(
        &self,
        tx: SignedTransaction,
        encoded: &[u8],
    ) -> Result<TransactionId, AdmitError> {
        let mut pool = lock(&self.mempool);
        let id = pool.insert(tx, encoded.len())?;
        if let Err(e) = lock(&self.journal).append(encoded) {
            pool.remove(&id);
            tracing::error!("mempool journal: {e}");
            return Err(e.into());
        }
        Ok(id)
    }
}

/// The RPC server's bound on `molt_submitTransaction` bodies over its
/// request limit: the hex of the largest transaction the next block could
/// include on the latest finalized state (a governance resolve of an
/// approved payload may exceed 1 MiB, docs/framework.md).
fn submit_limit(shared: &Arc<Shared>) -> server::SubmitLimit {
    let shared = Arc::clone(shared);
    server::SubmitLimit(Arc::new(move || {
        server::submit_body_bytes(shared.runtime.largest_transaction_bytes())
    }))
}

/// A started node.
#[derive(Debug)]
pub struct NodeHandle {
    pub rpc_addr: SocketAddr,
    producer: tokio::task::JoinHandle<Result<(), NodeError>>,
    server: RpcServer,
    admin: Option<crate::admin::AdminServer>,
    pub shared: Arc<Shared>,
}

/// The node.
#[derive(Debug)]
pub struct Node;

impl Node {
    /// Opens the chain state (writing genesis on first start), re-admits the
    /// journaled mempool, then starts the RPC server and the block producer.
    pub async fn start(config: NodeConfig) -> Result<NodeHandle, NodeError> {
        if config.block_time.is_zero() {
            return Err(NodeError::BlockTime);
        }
        config.rpc.check().map_err(server::ServeError::from)?;
        let data_dir = config.data_dir.clone();
        let genesis = config.genesis.clone();
        let store_config = config.store.clone();
        let mempool_config = config.mempool.clone();
        let rpc_config = config.rpc.clone();
        let version = config.version.clone();
        let schedule = config.schedule_upgrade.clone();
        let shared = tokio::task::spawn_blocking(move || -> Result<Shared, NodeError> {
            let runtime = Runtime::open(&data_dir, &genesis, store_config)?;
            runtime.set_binary_release(&version.release)?;
            if let Some(plan) = schedule
                && runtime.upgrade_plan()?.as_ref() != Some(&plan)
            {
                runtime.schedule_protocol_upgrade(&plan)?;
            }
            let (mut journal, contents) = MempoolJournal::open(&data_dir)?;
            let mut pool = Mempool::new(mempool_config);
            let recovered = readmit(&runtime, &mut pool, contents)?;
            journal.rewrite(
                pool.transactions()
                    .map(|t| t.encode())
                    .collect::<Vec<_>>()
                    .iter()
                    .map(Vec::as_slice),
            )?;
            journal.set_recovered(recovered);
            if recovered != Default::default() {
                tracing::info!(
                    readmitted = recovered.readmitted,
                    already_included = recovered.already_included,
                    dropped_invalid = recovered.dropped_invalid,
                    torn_bytes = recovered.torn_bytes,
                    "mempool recovered from its journal"
                );
            }
            let mut shared = Shared::new(runtime, pool, journal, rpc_config);
            shared.version = version;
            Ok(shared)
        })
        .await
        .map_err(|e| NodeError::Task(e.to_string()))??;
        *lock(&shared.proposer_signal) = config.signal;
        let shared = Arc::new(shared);
        let methods =
            rpc::module(Arc::clone(&shared)).map_err(|e| NodeError::Task(e.to_string()))?;
        shared
            .telemetry
            .metrics
            .set_methods(methods.method_names().map(String::from));
        let server = server::serve(
            config.rpc_addr,
            config.rpc.clone(),
            methods,
            shared.load.connections.clone(),
            crate::subscriptions::METHODS,
            crate::telemetry::MetricsEndpoint(Arc::clone(&shared)),
            submit_limit(&shared),
        )
        .await?;
        // The one validator of this single-producer node; never a dev key
        // by default.
        let Some(proposer) = config.genesis.validators.first().map(|v| v.address) else {
            return Err(NodeError::Task(
                "the genesis names no validator, so this node cannot produce blocks".into(),
            ));
        };
        let admin = match &config.admin_socket {
            None => None,
            Some(path) => Some(
                crate::admin::serve(path.clone(), Arc::clone(&shared), config.block_time).map_err(
                    |source| NodeError::Admin {
                        path: path.clone(),
                        source,
                    },
                )?,
            ),
        };
        let rx = shared.stopping.subscribe();
        let producer = match config.network.clone() {
            None => tokio::spawn(produce(Arc::clone(&shared), config, proposer, rx)),
            Some(settings) => {
                let s = Arc::clone(&shared);
                let data_dir = config.data_dir.clone();
                let dir = data_dir.clone();
                let engine = tokio::task::spawn_blocking(move || {
                    start_engine(
                        &s,
                        &settings,
                        &dir,
                        config.block_time,
                        config.max_block_transactions,
                    )
                })
                .await
                .map_err(|e| NodeError::Task(e.to_string()))??;
                // Halted before this start (the old binary restarted at the
                // halt): the engine still runs, serving finalized blocks to
                // peers, but the runtime refuses every block past the height.
                shared.check_halt()?;
                tokio::spawn(follow(Arc::clone(&shared), data_dir, engine, rx))
            }
        };
        Ok(NodeHandle {
            rpc_addr: server.local_addr,
            producer,
            server,
            admin,
            shared,
        })
    }
}

impl NodeHandle {
    /// Stops producing after the block in progress, ends subscriptions, then
    /// stops the RPC server (waiting a few seconds for open connections)
    /// and the admin endpoint. When it returns `Ok`, every task has let go
    /// of the node's state and the store is closed, so a node may be
    /// started on the same data directory at once; a caller still holding
    /// a clone of [`NodeHandle::shared`] makes it fail after ten seconds.
    pub async fn stop(self) -> Result<(), NodeError> {
        self.shared.stopping.send_replace(true);
        let result = self
            .producer
            .await
            .unwrap_or_else(|e| Err(NodeError::Task(e.to_string())));
        self.server.stop(Duration::from_secs(5)).await;
        if let Some(admin) = self.admin {
            admin.stop().await;
        }
        result?;
        lock(&self.shared.journal).sync()?;
        release(self.shared).await
    }

    /// Waits until the producer stops by itself (a fatal error).
    pub async fn producer_finished(&mut self) -> Result<(), NodeError> {
        (&mut self.producer)
            .await
            .unwrap_or_else(|e| Err(NodeError::Task(e.to_string())))
    }
}

/// How long [`NodeHandle::stop`] waits for the last task holding the
/// node's state (an RPC or admin request finishing a read) to let go.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(10);

/// Waits until `shared` is the last share of the node's state and drops
/// it, which closes the store: another node may then open the same data
/// directory. A share still held after [`RELEASE_TIMEOUT`] is an error
/// (a task that never ends), not a silent leak of an open database.
async fn release(shared: Arc<Shared>) -> Result<(), NodeError> {
    let deadline = tokio::time::Instant::now() + RELEASE_TIMEOUT;
    let mut shared = shared;
    loop {
        match Arc::try_unwrap(shared) {
            Ok(state) => {
                drop(state);
                return Ok(());
            }
            Err(still) => shared = still,
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(NodeError::Task(format!(
                "{} task(s) still hold the node's state {RELEASE_TIMEOUT:?} after stopping; \
                 the store stays open until they end",
                Arc::strong_count(&shared) - 1
            )));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn now_ms() -> u64 {
    // The proposer's clock only feeds the header timestamp; the runtime
    // keeps it monotonic.
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Runs until the node stops or the engine stops by itself (a fatal error).
///
/// When the runtime says this binary halted for an upgrade (block `H` of
/// the plan is finalized; [`Shared::check_halt`]), the halt (module `halt`:
/// plan file, checkpoint, `ready`) runs beside the engine: the engine keeps
/// serving votes and finalized blocks up to `H` to peers that lag, and the
/// runtime refuses to propose or verify any block past `H`, so this node
/// never votes past the height. The supervisor then stops the node.
async fn follow(
    shared: Arc<Shared>,
    data_dir: PathBuf,
    mut engine: molt_consensus::EngineHandle,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), NodeError> {
    let mut halt_signal = shared.halt_signal.subscribe();
    let halt_shutdown = shutdown.clone();
    let halt = async move {
        let plan = loop {
            if let Some(plan) = halt_signal.borrow_and_update().clone() {
                break plan;
            }
            if halt_signal.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        crate::halt::hold(shared, data_dir, plan, halt_shutdown).await
    };
    let failed = tokio::select! {
        r = engine.wait() => Some(r),
        _ = shutdown.changed() => None,
        // `hold` returns when the node stops, or on its own task's failure.
        r = halt => { r?; None }
    };
    if let Some(r) = failed {
        r.map_err(|e| NodeError::Consensus(e.to_string()))?;
        return Err(NodeError::Consensus("the consensus engine stopped".into()));
    }
    tokio::task::spawn_blocking(move || engine.stop())
        .await
        .map_err(|e| NodeError::Task(e.to_string()))?
        .map_err(|e| NodeError::Consensus(e.to_string()))
}

async fn produce(
    shared: Arc<Shared>,
    config: NodeConfig,
    proposer: Address,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), NodeError> {
    let mut interval = tokio::time::interval(config.block_time);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if let Some(plan) = shared.runtime.halted_for_upgrade()? {
            let data_dir = config.data_dir.clone();
            return crate::halt::hold(shared, data_dir, plan, shutdown).await;
        }
        tokio::select! {
            _ = interval.tick() => {}
            _ = shutdown.changed() => return Ok(()),
        }
        if *shutdown.borrow() {
            return Ok(());
        }
        let candidates = lock(&shared.mempool).candidates(config.max_block_transactions);
        let s = Arc::clone(&shared);
        let started = std::time::Instant::now();
        let produced = tokio::task::spawn_blocking(move || {
            s.runtime.produce_block(&candidates, proposer, now_ms())
        })
        .await
        .map_err(|e| NodeError::Task(format!("block production panicked: {e}")))??;
        let produced = Arc::new(produced);
        let s = Arc::clone(&shared);
        let done = Arc::clone(&produced);
        tokio::task::spawn_blocking(move || settle(&s, &done))
            .await
            .map_err(|e| NodeError::Task(format!("mempool upkeep panicked: {e}")))??;
        // One call executes and commits: all of it counts as execution.
        let took = started.elapsed();
        shared
            .telemetry
            .finalized(&produced.block, &produced.rejected, took, Duration::ZERO);
        let _ = shared
            .blocks
            .send(Arc::new(rpc::BlockNotice::new(&produced)));
    }
}

/// After a block: removes from the mempool what was included or can never
/// be, then compacts or flushes the journal. A journal that cannot be
/// written stops the node: accepted transactions would no longer survive.
pub(crate) fn settle(
    shared: &Shared,
    produced: &molt_runtime::ProducedBlock,
) -> Result<(), NodeError> {
    let mut pool = lock(&shared.mempool);
    for tx in &produced.block.transactions {
        pool.remove(&tx.id());
    }
    for (id, why) in &produced.rejected {
        // A gap in a sender's sequence may fill later; anything else never will.
        if !matches!(why, Rejection::SequenceTooNew { .. }) {
            pool.remove(id);
        }
    }
    let mut journal = lock(&shared.journal);
    if journal.should_compact(pool.len()) {
        let live: Vec<Vec<u8>> = pool.transactions().map(|t| t.encode()).collect();
        journal.rewrite(live.iter().map(Vec::as_slice))?;
    } else {
        journal.sync()?;
    }
    Ok(())
}

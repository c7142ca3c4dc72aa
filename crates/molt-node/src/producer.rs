//! Running a node: the block producer loop and the RPC server.

use crate::mempool::{Mempool, MempoolConfig};
use crate::rpc;
use molt_runtime::{Genesis, Rejection, Runtime, RuntimeError, dev_validator_key};
use molt_store::StoreConfig;
use molt_types::Address;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
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
}

impl NodeConfig {
    /// A dev chain in `data_dir` serving RPC on 127.0.0.1:`port`.
    pub fn dev(data_dir: PathBuf, port: u16, block_time: Duration) -> Self {
        NodeConfig {
            data_dir,
            rpc_addr: SocketAddr::from(([127, 0, 0, 1], port)),
            block_time,
            genesis: Genesis::dev(),
            mempool: MempoolConfig::default(),
            max_block_transactions: 5_000,
            store: StoreConfig::default(),
        }
    }
}

/// What the RPC handlers and the producer share.
#[derive(Debug)]
pub struct Shared {
    pub runtime: Runtime,
    pub mempool: Mutex<Mempool>,
    /// Every committed block, as JSON with its receipts, for subscribers.
    pub blocks: broadcast::Sender<Arc<rpc::BlockNotice>>,
}

/// A started node.
#[derive(Debug)]
pub struct NodeHandle {
    pub rpc_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    producer: tokio::task::JoinHandle<Result<(), RuntimeError>>,
    server: jsonrpsee::server::ServerHandle,
    pub shared: Arc<Shared>,
}

/// The node.
#[derive(Debug)]
pub struct Node;

impl Node {
    /// Opens the chain state (writing genesis on first start), then starts the
    /// RPC server and the block producer.
    pub async fn start(
        config: NodeConfig,
    ) -> Result<NodeHandle, Box<dyn std::error::Error + Send + Sync>> {
        let data_dir = config.data_dir.clone();
        let genesis = config.genesis.clone();
        let store_config = config.store.clone();
        let runtime =
            tokio::task::spawn_blocking(move || Runtime::open(&data_dir, &genesis, store_config))
                .await??;
        let (blocks, _) = broadcast::channel(256);
        let shared = Arc::new(Shared {
            runtime,
            mempool: Mutex::new(Mempool::new(config.mempool.clone())),
            blocks,
        });
        let (server, rpc_addr) = rpc::serve(config.rpc_addr, Arc::clone(&shared)).await?;
        let (shutdown, rx) = watch::channel(false);
        let proposer = config
            .genesis
            .validators
            .first()
            .map(|v| v.address)
            .unwrap_or(dev_validator_key().address());
        let producer = tokio::spawn(produce(Arc::clone(&shared), config, proposer, rx));
        Ok(NodeHandle {
            rpc_addr,
            shutdown,
            producer,
            server,
            shared,
        })
    }
}

impl NodeHandle {
    /// Stops producing after the block in progress, then stops the RPC server.
    pub async fn stop(self) -> Result<(), RuntimeError> {
        let _ = self.shutdown.send(true);
        let result = self.producer.await.unwrap_or(Ok(()));
        let _ = self.server.stop();
        self.server.stopped().await;
        result
    }

    /// Waits until the producer stops by itself (a fatal error).
    pub async fn producer_finished(&mut self) -> Result<(), RuntimeError> {
        (&mut self.producer).await.unwrap_or(Ok(()))
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

async fn produce(
    shared: Arc<Shared>,
    config: NodeConfig,
    proposer: Address,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), RuntimeError> {
    let mut interval = tokio::time::interval(config.block_time);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = shutdown.changed() => return Ok(()),
        }
        if *shutdown.borrow() {
            return Ok(());
        }
        let candidates = shared
            .mempool
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .candidates(config.max_block_transactions);
        let s = Arc::clone(&shared);
        let produced = tokio::task::spawn_blocking(move || {
            s.runtime.produce_block(&candidates, proposer, now_ms())
        })
        .await
        .map_err(|e| RuntimeError::InvalidBlock(format!("block production panicked: {e}")))??;
        {
            let mut pool = shared.mempool.lock().unwrap_or_else(|p| p.into_inner());
            for tx in &produced.block.transactions {
                pool.remove(&tx.id());
            }
            for (id, why) in &produced.rejected {
                // A gap in a sender's sequence may fill later; anything else never will.
                if !matches!(why, Rejection::SequenceTooNew { .. }) {
                    pool.remove(id);
                }
            }
        }
        let _ = shared
            .blocks
            .send(Arc::new(rpc::BlockNotice::new(&produced)));
    }
}

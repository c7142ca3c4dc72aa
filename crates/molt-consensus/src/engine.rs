//! Running a node on Commonware: p2p, marshal, simplex, transaction gossip.
//!
//! [`Engine::start`] runs everything on its own thread inside Commonware's
//! tokio runtime (its storage rooted at [`EngineConfig::storage_dir`]), so the
//! node's RPC runtime and the engine never share a scheduler. The pieces:
//!
//! | channel | carries |
//! |---|---|
//! | 0, 1, 2 | simplex votes, certificates, and certificate backfill |
//! | 3 | marshal's block backfill (requests by height or digest) |
//! | 4 | block dissemination (`commonware_broadcast::buffered`) |
//! | 5 | transaction gossip (encoded signed transactions) |
//!
//! The authenticated p2p network (`lookup`: fixed keys and addresses) dials
//! every validator and accepts connections from followers listed as peers.
//! Everything above the network is [`crate::wiring::run`], generic over the
//! runtime and the network (the deterministic simulation runs the same
//! code). Simplex elects leaders round-robin over the validators in chain-state
//! order, one vote each; marshal stores finalized blocks and certificates in
//! Commonware archives, backfills what is missing from peers, and hands
//! finalized blocks in order to the [`crate::finalizer`], which finalizes
//! them durably in the runtime before acknowledging.
//!
//! # Epochs
//!
//! One simplex instance runs per consensus epoch, with the validator set
//! given at start. Molt's runtime epochs (`chain/epoch`) advance without a
//! validator-set change while the framework writes no `chain/next_validators`;
//! an engine for a new set per epoch is described in `docs/network.md`.
//!
//! # Restart
//!
//! Simplex journals votes; marshal journals finalized blocks and which of
//! them the application acknowledged. On restart the runtime is at its last
//! finalized block (at or beyond marshal's acknowledged height), marshal
//! redelivers what was not acknowledged, and backfill fetches what the node
//! missed while it was down.
//!
//! # Failure
//!
//! A finalized block this node cannot apply (its own state diverged, its
//! storage failed) stops the engine with a [`FinalizeError`]; see
//! [`EngineHandle::wait`].

use crate::chain::Chain;
use crate::config::{ConfigError, EngineConfig};
use crate::finalizer::FinalizeError;
use crate::scheme::{consensus_key, consensus_private_key};
use crate::wiring::{self, Channels, MAX_MESSAGE_BYTES, Network, Wiring, channel};
use commonware_cryptography::Signer;
use commonware_p2p::{Address, AddressableManager, AddressableTrackedPeers, authenticated::lookup};
use commonware_runtime::{Quota, Runner as _, Supervisor as _, tokio as cw_tokio};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::ordered::{Map, Set};
use commonware_utils::{NZU32, NZUsize};
use futures::channel::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the consensus engine thread failed: {0}")]
    Thread(String),
    #[error(
        "cannot listen for peers on {address}: {source}; stop the process that holds the port \
         or choose another `listen` address (on Linux, ports in \
         /proc/sys/net/ipv4/ip_local_port_range can be taken by outgoing connections)"
    )]
    Listen {
        address: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// A running engine.
#[derive(Debug)]
pub struct EngineHandle {
    stop: Option<futures::channel::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    fatal: Arc<Mutex<Option<FinalizeError>>>,
    finished: Option<futures::channel::oneshot::Receiver<()>>,
    relay: mpsc::UnboundedSender<Vec<u8>>,
}

/// Hands transactions to the engine's gossip.
#[derive(Debug, Clone)]
pub struct TransactionRelay(mpsc::UnboundedSender<Vec<u8>>);

impl TransactionRelay {
    /// Sends an admitted transaction (its canonical encoding) to every peer.
    pub fn relay(&self, encoded: Vec<u8>) {
        let _ = self.0.unbounded_send(encoded);
    }
}

impl EngineHandle {
    /// A handle to relay transactions to peers.
    pub fn relay(&self) -> TransactionRelay {
        TransactionRelay(self.relay.clone())
    }

    /// Waits until the engine stops by itself; `Err` says why.
    pub async fn wait(&mut self) -> Result<(), FinalizeError> {
        if let Some(finished) = self.finished.take() {
            let _ = finished.await;
        }
        match self.fatal.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Stops the engine and waits for its thread (blocking: call it from a
    /// blocking context).
    pub fn stop(mut self) -> Result<(), FinalizeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        match self.fatal.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The consensus engine.
#[derive(Debug)]
pub struct Engine;

impl Engine {
    /// Checks `config` and starts the engine on its own thread.
    pub fn start<C: Chain>(
        config: EngineConfig,
        chain: Arc<C>,
    ) -> Result<EngineHandle, EngineError> {
        config.check()?;
        // The p2p listener binds inside the engine, where a failure would
        // only stop a task: try the address first, so a port in use is a
        // clear error at start instead of an engine that cannot be reached.
        // (The probe closes before the engine binds; a process that takes
        // the port in between is reported by the engine stopping.)
        if config.listen.port() != 0 {
            std::net::TcpListener::bind(config.listen).map_err(|source| EngineError::Listen {
                address: config.listen,
                source,
            })?;
        }
        std::fs::create_dir_all(&config.storage_dir).map_err(|e| {
            EngineError::Thread(format!(
                "cannot create {}: {e}",
                config.storage_dir.display()
            ))
        })?;
        let (stop_tx, stop_rx) = futures::channel::oneshot::channel::<()>();
        let (finished_tx, finished_rx) = futures::channel::oneshot::channel::<()>();
        let (relay_tx, relay_rx) = mpsc::unbounded::<Vec<u8>>();
        let fatal = Arc::new(Mutex::new(None));
        let fatal_slot = Arc::clone(&fatal);
        let thread = std::thread::Builder::new()
            .name("molt-consensus".into())
            .spawn(move || {
                let runner = cw_tokio::Runner::new(
                    cw_tokio::Config::new()
                        .with_worker_threads(2)
                        .with_storage_directory(config.storage_dir.clone())
                        .with_catch_panics(true),
                );
                runner.start(|context| async move {
                    run(context, config, chain, stop_rx, relay_rx, fatal_slot).await;
                });
                let _ = finished_tx.send(());
            })
            .map_err(|e| EngineError::Thread(e.to_string()))?;
        Ok(EngineHandle {
            stop: Some(stop_tx),
            thread: Some(thread),
            fatal,
            finished: Some(finished_rx),
            relay: relay_tx,
        })
    }
}

async fn run<C: Chain>(
    context: cw_tokio::Context,
    config: EngineConfig,
    chain: Arc<C>,
    stop: futures::channel::oneshot::Receiver<()>,
    relay: mpsc::UnboundedReceiver<Vec<u8>>,
    fatal: Arc<Mutex<Option<FinalizeError>>>,
) {
    // Keys (checked by `EngineConfig::check`).
    let Ok(signer) = consensus_private_key(&config.key) else {
        return;
    };
    let me = signer.public_key();
    let participants = Set::from_iter_dedup(
        config
            .validators
            .iter()
            .filter_map(|k| consensus_key(k).ok()),
    );
    let namespace = format!("molt/{}", config.chain_id).into_bytes();

    // The authenticated network.
    let handshake = Cups::<_, commonware_cryptography::ChaCha20Poly1305>::new(
        Sake {
            signer: signer.clone(),
            synchrony_bound: Duration::from_secs(10),
            max_handshake_age: Duration::from_secs(20),
            version: sake::Version::V1,
        },
        cups::Version::V1,
    );
    let max_peers = NZUsize!(config.peers.len() + 2);
    let mut p2p_config = if config.listen.ip().is_loopback() {
        lookup::Config::local(
            handshake,
            &namespace,
            config.listen,
            max_peers,
            MAX_MESSAGE_BYTES,
            NZUsize!(1024),
        )
    } else {
        lookup::Config::recommended(
            handshake,
            &namespace,
            config.listen,
            max_peers,
            MAX_MESSAGE_BYTES,
            NZUsize!(1024),
        )
    };
    p2p_config.allow_private_ips = true;
    p2p_config.peer_connection_cooldown = Duration::from_millis(500);
    p2p_config.dial_frequency = Duration::from_millis(500);
    let (mut network, mut oracle) = lookup::Network::new(context.child("network"), p2p_config);
    let mut primary = Vec::new();
    let mut secondary = Vec::new();
    for peer in &config.peers {
        let Ok(key) = consensus_key(&peer.public_key) else {
            continue;
        };
        if participants.position(&key).is_some() {
            primary.push((key, Address::from(peer.address)));
        } else {
            secondary.push((key, Address::from(peer.address)));
        }
    }
    if participants.position(&me).is_some() {
        primary.push((me.clone(), Address::from(config.listen)));
    } else {
        secondary.push((me.clone(), Address::from(config.listen)));
    }
    let _ = oracle.track(
        0,
        AddressableTrackedPeers {
            primary: Map::from_iter_dedup(primary),
            secondary: Map::from_iter_dedup(secondary),
        },
    );
    let quota = Quota::per_second(NZU32!(10_000));
    let channels = Channels {
        votes: network.register(channel::VOTES, quota),
        certificates: network.register(channel::CERTIFICATES, quota),
        certificate_backfill: network.register(channel::CERTIFICATE_BACKFILL, quota),
        block_backfill: network.register(channel::BLOCK_BACKFILL, quota),
        blocks: network.register(channel::BLOCKS, quota),
        transactions: network.register(channel::TRANSACTIONS, quota),
    };
    let network_handle = network.start();

    tracing::info!(listen = %config.listen, "p2p network started");
    let result = wiring::run(
        context,
        config,
        chain,
        Network {
            peers: oracle.clone(),
            blocker: oracle,
            channels,
        },
        Wiring::production(),
        relay,
        async move {
            let _ = stop.await;
        },
    )
    .await;
    network_handle.abort();
    if let Err(e) = result {
        *fatal.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
    }
}

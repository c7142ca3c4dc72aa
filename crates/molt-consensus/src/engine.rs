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
//! Simplex elects leaders round-robin over the validators in chain-state
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

use crate::application::Application;
use crate::block::{ChainBlock, digest_of};
use crate::chain::Chain;
use crate::config::{ConfigError, EngineConfig, Role};
use crate::finalizer::{FinalizeError, Finalizer};
use crate::scheme::{PublicKey, Scheme, consensus_key, consensus_private_key};
use commonware_broadcast::buffered;
use commonware_consensus::marshal::{self, core::Actor as Marshal, standard::Inline};
use commonware_consensus::simplex::{
    self,
    config::{Floor, ForwardPolicy, SkipPolicy},
    elector::RoundRobin,
};
use commonware_consensus::types::{Epoch, FixedEpocher, ViewDelta};
use commonware_cryptography::{
    Digested, Digestible, Signer, certificate::ConstantProvider, sha256::Sha256,
};
use commonware_p2p::{
    Address, AddressableManager, AddressableTrackedPeers, Receiver as _, Recipients, Sender as _,
    authenticated::lookup,
};
use commonware_parallel::Sequential;
use commonware_runtime::buffer::paged::CacheRef;
use commonware_runtime::{Quota, Runner as _, Spawner as _, Supervisor as _, tokio as cw_tokio};
use commonware_storage::archive::immutable;
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::ordered::{Map, Set};
use commonware_utils::{NZDuration, NZU16, NZU32, NZU64, NZUsize};
use futures::{StreamExt, channel::mpsc};
use molt_types::SignedTransaction;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const VOTES: u64 = 0;
const CERTIFICATES: u64 = 1;
const CERTIFICATE_BACKFILL: u64 = 2;
const BLOCK_BACKFILL: u64 = 3;
const BLOCKS: u64 = 4;
const TRANSACTIONS: u64 = 5;

/// Largest transaction accepted from gossip (the RPC's own bound: a large
/// governance resolve may exceed the 1 MiB transaction limit; the node's
/// admission then applies the rule).
const MAX_GOSSIPED_TRANSACTION: usize = molt_types::codec::limits::MAX_RESOLVE_TRANSACTION_BYTES;
/// Largest block carried on the network.
const MAX_BLOCK_BYTES: usize = 8 * 1024 * 1024;

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

fn archive_config<C>(
    prefix: &str,
    name: &str,
    page_cache: &CacheRef,
    codec: C,
) -> immutable::Config<C> {
    immutable::Config {
        metadata_partition: format!("{prefix}-{name}-metadata"),
        freezer_table_partition: format!("{prefix}-{name}-freezer-table"),
        freezer_table_initial_size: 1024,
        freezer_table_resize_frequency: 10,
        freezer_table_resize_chunk_size: 1024,
        freezer_key_partition: format!("{prefix}-{name}-freezer-key"),
        freezer_key_page_cache: page_cache.clone(),
        freezer_value_partition: format!("{prefix}-{name}-freezer-value"),
        freezer_value_target_size: 64 * 1024 * 1024,
        freezer_value_compression: None,
        ordinal_partition: format!("{prefix}-{name}-ordinal"),
        items_per_section: NZU64!(4096),
        freezer_key_write_buffer: NZUsize!(64 * 1024),
        freezer_value_write_buffer: NZUsize!(1024 * 1024),
        ordinal_write_buffer: NZUsize!(64 * 1024),
        replay_buffer: NZUsize!(1024 * 1024),
        codec_config: codec,
    }
}

async fn run<C: Chain>(
    context: cw_tokio::Context,
    config: EngineConfig,
    chain: Arc<C>,
    stop: futures::channel::oneshot::Receiver<()>,
    mut relay: mpsc::UnboundedReceiver<Vec<u8>>,
    fatal: Arc<Mutex<Option<FinalizeError>>>,
) {
    // Keys (checked by `EngineConfig::check`).
    let Ok(signer) = consensus_private_key(&config.key) else {
        return;
    };
    let me = signer.public_key();
    let validators: Vec<PublicKey> = config
        .validators
        .iter()
        .filter_map(|k| consensus_key(k).ok())
        .collect();
    let participants = Set::from_iter_dedup(validators.iter().cloned());
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
    let max_message = (MAX_BLOCK_BYTES + 64 * 1024) as u32;
    let mut p2p_config = if config.listen.ip().is_loopback() {
        lookup::Config::local(
            handshake,
            &namespace,
            config.listen,
            max_peers,
            max_message,
            NZUsize!(1024),
        )
    } else {
        lookup::Config::recommended(
            handshake,
            &namespace,
            config.listen,
            max_peers,
            max_message,
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
    let votes = network.register(VOTES, quota);
    let certificates = network.register(CERTIFICATES, quota);
    let certificate_backfill = network.register(CERTIFICATE_BACKFILL, quota);
    let block_backfill = network.register(BLOCK_BACKFILL, quota);
    let blocks = network.register(BLOCKS, quota);
    let (mut tx_sender, mut tx_receiver) = network.register(TRANSACTIONS, quota);
    let network_handle = network.start();

    // Signing: validators sign, a full node only verifies.
    let scheme = match config.role {
        Role::Validator => match Scheme::signer(&namespace, participants.clone(), signer.clone()) {
            Some(s) => s,
            None => return,
        },
        Role::Full => Scheme::verifier(&namespace, participants.clone()),
    };
    let page_cache = CacheRef::new(NZU16!(16_384), NZUsize!(1_000));
    let epocher = FixedEpocher::new(NZU64!(u64::MAX));
    let genesis = ChainBlock::new(config.genesis_block.clone());

    // Marshal: finalized blocks in order, backfill, archives.
    let marshal_config = marshal::Config {
        provider: ConstantProvider::new(scheme.clone()),
        epocher: epocher.clone(),
        start: marshal::Start::Genesis(Digested::precomputed(genesis.clone(), genesis.digest())),
        partition_prefix: "marshal".into(),
        mailbox_size: NZUsize!(1024),
        view_retention: ViewDelta::new(256),
        prunable_items_per_section: NZU64!(4096),
        page_cache: page_cache.clone(),
        replay_buffer: NZUsize!(1024 * 1024),
        key_write_buffer: NZUsize!(64 * 1024),
        value_write_buffer: NZUsize!(1024 * 1024),
        block_codec_config: MAX_BLOCK_BYTES,
        max_repair: NZUsize!(16),
        max_pending_acks: NZUsize!(8),
        strategy: Sequential,
    };
    let finalizations = match immutable::Archive::init(
        context.child("finalizations"),
        archive_config(
            "marshal",
            "finalizations-by-height",
            &page_cache,
            <Scheme as commonware_cryptography::certificate::Verifier>::certificate_codec_config_unbounded(),
        ),
    )
    .await
    {
        Ok(a) => a,
        Err(e) => {
            tracing::error!("cannot open the finalization archive: {e}");
            return;
        }
    };
    let finalized_blocks = match immutable::Archive::init(
        context.child("finalized_blocks"),
        archive_config("marshal", "finalized-blocks", &page_cache, MAX_BLOCK_BYTES),
    )
    .await
    {
        Ok(a) => a,
        Err(e) => {
            tracing::error!("cannot open the block archive: {e}");
            return;
        }
    };
    let (actor, mailbox, _floor) = Marshal::init(
        context.child("marshal"),
        finalizations,
        finalized_blocks,
        marshal_config,
    )
    .await;

    let resolver = marshal::resolver::p2p::init(
        context.child("block_resolver"),
        marshal::resolver::p2p::Config {
            public_key: me.clone(),
            peer_provider: oracle.clone(),
            blocker: oracle.clone(),
            mailbox_size: NZUsize!(1024),
            fetch_timeout: NZDuration!(Duration::from_secs(2)),
            fetch_retry_delay: Duration::from_millis(200),
            priority_requests: false,
            priority_responses: false,
        },
        block_backfill,
    );
    let (broadcast, buffer) = buffered::Engine::new(
        context.child("broadcast"),
        buffered::Config {
            public_key: me.clone(),
            mailbox_size: NZUsize!(1024),
            deque_size: 64,
            priority: false,
            codec_config: MAX_BLOCK_BYTES,
            peer_provider: oracle.clone(),
            strategy: Sequential,
        },
    );
    broadcast.start(blocks);

    let (stop_finalizer, finalizer_stopped) = futures::channel::oneshot::channel::<()>();
    let fatal_slot = Arc::clone(&fatal);
    let (finalizer, _finalizer_thread) =
        Finalizer::<commonware_utils::acknowledgement::Exact>::start(
            Arc::clone(&chain),
            move |e| {
                *fatal_slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                let _ = stop_finalizer.send(());
            },
        );
    let marshal_handle = actor.start(finalizer, buffer, resolver);

    // Simplex over the Molt application.
    let proposer = match config.role {
        Role::Validator => Some(config.key.address()),
        Role::Full => None,
    };
    let application = Application::new(
        Arc::clone(&chain),
        proposer,
        config.block_interval,
        config.max_block_transactions,
    );
    let inline = Inline::new(context.child("application"), application, mailbox, epocher);
    let leader_timeout = config.leader_timeout;
    let engine = simplex::Engine::new(
        context.child("simplex"),
        simplex::config::Config {
            scheme,
            elector: RoundRobin::<Sha256>::default(),
            blocker: oracle.clone(),
            automaton: inline.clone(),
            relay: inline.clone(),
            reporter: inline,
            strategy: Sequential,
            partition: "simplex-epoch-0".into(),
            mailbox_size: NZUsize!(1024),
            epoch: Epoch::zero(),
            floor: Floor::Genesis(digest_of(&config.genesis_block.header.id())),
            replay_buffer: NZUsize!(1024 * 1024),
            write_buffer: NZUsize!(1024 * 1024),
            page_cache,
            leader_timeout,
            certification_timeout: leader_timeout * 2,
            timeout_retry: leader_timeout,
            view_retention: ViewDelta::new(256),
            skip: SkipPolicy::Disabled,
            fetch_timeout: NZDuration!(Duration::from_secs(2)),
            fetch_retry_delay: Duration::from_millis(200),
            forward: ForwardPolicy::SilentVoters,
            track_historical_votes: false,
        },
    );
    let engine_handle = engine.start(votes, certificates, certificate_backfill);

    // Transaction gossip: out to every peer, in to the node's admission.
    let outbound = context.child("gossip_out").spawn(move |_| async move {
        while let Some(encoded) = relay.next().await {
            let _ = tx_sender.send(Recipients::All, encoded, false);
        }
    });
    let gossip_chain = Arc::clone(&chain);
    let inbound = context.child("gossip_in").spawn(move |_| async move {
        while let Ok((_from, message)) = tx_receiver.recv().await {
            let bytes: Vec<u8> = message.as_ref().to_vec();
            if let Ok(tx) = molt_types::codec::decode::<SignedTransaction>(
                "transaction",
                &bytes,
                MAX_GOSSIPED_TRANSACTION,
            ) {
                gossip_chain.gossiped(tx, &bytes);
            }
        }
    });

    tracing::info!(validators = participants.len(), role = ?config.role, listen = %config.listen, "consensus engine started");
    futures::select! {
        _ = stop.fuse_or_pending() => {}
        _ = finalizer_stopped.fuse_or_pending() => {}
    }
    engine_handle.abort();
    marshal_handle.abort();
    network_handle.abort();
    outbound.abort();
    inbound.abort();
}

trait FuseOrPending: futures::Future + Sized {
    fn fuse_or_pending(self) -> futures::future::Fuse<Self> {
        futures::FutureExt::fuse(self)
    }
}
impl<F: futures::Future> FuseOrPending for F {}

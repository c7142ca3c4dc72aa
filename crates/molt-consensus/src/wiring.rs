//! The engine's wiring, over any Commonware runtime and any p2p network.
//!
//! [`run`] is everything a node runs above the network: marshal (finalized
//! blocks in order, block backfill, the archives), block dissemination
//! (`commonware_broadcast::buffered`), simplex over the Molt
//! [`Application`], the [`Finalizer`] and transaction gossip. It is generic
//! over the runtime context `E` and the network's peer provider, blocker and
//! channels, so the same code runs:
//!
//! - in production, on Commonware's tokio runtime with the authenticated
//!   TCP network ([`crate::Engine::start`], [`Wiring::production`]);
//! - in simulation, on the deterministic runtime with
//!   `commonware_p2p::simulated` ([`Wiring::simulated`];
//!   `tests/simulation.rs`).
//!
//! # Rules
//!
//! - **Channels.** A node registers the six channels of [`channel`] and
//!   hands them over in [`Channels`]; every node of a network must use the
//!   same numbers.
//! - **Time.** Every clock reading (the proposer's block timestamp and
//!   pacing, the verifier's clock check) is the runtime's
//!   [`commonware_runtime::Clock`]: simulated time in simulation, never
//!   the wall clock.
//! - **Storage.** Simplex's journal and marshal's archives live in the
//!   runtime's storage, in partitions named `simplex-epoch-0` and
//!   `marshal-*`; [`Wiring::partition_prefix`] puts them under a prefix of
//!   their own, so the nodes of a simulation can share one runtime's
//!   storage (a production node has a storage directory of its own and no
//!   prefix, which keeps the names it always had).
//! - **Finalizing.** The finalizer applies blocks on its own thread in
//!   production (execution and durable writes block; the scheduler must
//!   not wait for them), and in a task of the runtime in simulation
//!   ([`Finalizing::Task`]: a thread would run outside simulated time, and
//!   the order of events would differ between two runs of one seed).
//! - **Stopping.** [`run`] returns when `stop` resolves or the finalizer
//!   stops on a [`FinalizeError`], which it returns; it aborts every task it
//!   started. Aborting the task that runs [`run`] aborts them too (they are
//!   its children): a crash, from which the node restarts on its storage.

use crate::application::Application;
use crate::block::{ChainBlock, digest_of};
use crate::chain::Chain;
use crate::config::{EngineConfig, Role};
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
use commonware_p2p::{Blocker, Provider, Receiver, Recipients, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::buffer::paged::CacheRef;
use commonware_runtime::{Clock, Handle, Metrics, Spawner, Storage};
use commonware_storage::archive::immutable;
use commonware_utils::ordered::Set;
use commonware_utils::{NZDuration, NZU16, NZU64, NZUsize};
use futures::{StreamExt, channel::mpsc};
use molt_types::SignedTransaction;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The p2p channels of a Molt node.
pub mod channel {
    /// Simplex votes.
    pub const VOTES: u64 = 0;
    /// Simplex certificates.
    pub const CERTIFICATES: u64 = 1;
    /// Simplex certificate backfill.
    pub const CERTIFICATE_BACKFILL: u64 = 2;
    /// Marshal's block backfill (requests by height or digest).
    pub const BLOCK_BACKFILL: u64 = 3;
    /// Block dissemination.
    pub const BLOCKS: u64 = 4;
    /// Transaction gossip (encoded signed transactions).
    pub const TRANSACTIONS: u64 = 5;
}

/// Largest transaction accepted from gossip (the RPC's own bound: a large
/// governance resolve may exceed the 1 MiB transaction limit; the node's
/// admission then applies the rule).
const MAX_GOSSIPED_TRANSACTION: usize = molt_types::codec::limits::MAX_RESOLVE_TRANSACTION_BYTES;
/// Largest block carried on the network.
pub const MAX_BLOCK_BYTES: usize = 8 * 1024 * 1024;
/// Largest message a network must carry: a block and its framing.
pub const MAX_MESSAGE_BYTES: u32 = (MAX_BLOCK_BYTES + 64 * 1024) as u32;

/// A node's registered channels, each a sender and a receiver (see
/// [`channel`] for their numbers).
#[derive(Debug)]
pub struct Channels<S, R> {
    pub votes: (S, R),
    pub certificates: (S, R),
    pub certificate_backfill: (S, R),
    pub block_backfill: (S, R),
    pub blocks: (S, R),
    pub transactions: (S, R),
}

/// The network a node runs on: who its peers are, how it blocks one, and
/// its channels.
#[derive(Debug)]
pub struct Network<P, B, S, R> {
    /// The peer sets (marshal's backfill and block dissemination ask it).
    pub peers: P,
    /// Blocks a peer that sent something invalid.
    pub blocker: B,
    pub channels: Channels<S, R>,
}

/// Where the finalizer applies blocks (see the module rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finalizing {
    /// On a thread of its own (production).
    Thread,
    /// In a task of the runtime (deterministic simulation).
    Task,
}

/// How [`run`] lays out storage and applies blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wiring {
    /// Prefixes every storage partition (`None`: the production names).
    pub partition_prefix: Option<String>,
    pub finalizing: Finalizing,
}

impl Wiring {
    /// A production node: its own storage, the finalizer on a thread.
    pub fn production() -> Self {
        Wiring {
            partition_prefix: None,
            finalizing: Finalizing::Thread,
        }
    }

    /// A node of a simulation: partitions under `prefix` (letters, digits,
    /// `-` and `_`), the finalizer in a task.
    pub fn simulated(prefix: impl Into<String>) -> Self {
        Wiring {
            partition_prefix: Some(prefix.into()),
            finalizing: Finalizing::Task,
        }
    }

    fn partition(&self, name: &str) -> String {
        match &self.partition_prefix {
            Some(prefix) => format!("{prefix}-{name}"),
            None => name.to_string(),
        }
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

/// The finalizer's task or thread, whichever [`Finalizing`] chose.
enum FinalizerRun {
    Thread(#[allow(dead_code)] std::thread::JoinHandle<()>),
    Task(Handle<()>),
}

/// Runs a node's engine on `network` until `stop` resolves (`Ok`) or the
/// finalizer stops on an error (`Err`); see the module doc. `config` must
/// have passed [`EngineConfig::check`] (a key that is not one returns at
/// once, as does storage that cannot be opened, which is logged). Its
/// `listen`, `peers` and `storage_dir` are the network's and the runtime's
/// business, not read here.
pub async fn run<E, C, P, B, S, R>(
    context: E,
    config: EngineConfig,
    chain: Arc<C>,
    network: Network<P, B, S, R>,
    wiring: Wiring,
    mut relay: mpsc::UnboundedReceiver<Vec<u8>>,
    stop: impl Future<Output = ()> + Send,
) -> Result<(), FinalizeError>
where
    E: Spawner + Clock + Storage + Metrics + rand_core::CryptoRng,
    C: Chain,
    P: Provider<PublicKey = PublicKey> + Clone,
    B: Blocker<PublicKey = PublicKey> + Clone,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
{
    // Keys (checked by `EngineConfig::check`).
    let Ok(signer) = consensus_private_key(&config.key) else {
        return Ok(());
    };
    let me = signer.public_key();
    let validators: Vec<PublicKey> = config
        .validators
        .iter()
        .filter_map(|k| consensus_key(k).ok())
        .collect();
    let participants = Set::from_iter_dedup(validators.iter().cloned());
    let namespace = format!("molt/{}", config.chain_id).into_bytes();
    let Network {
        peers,
        blocker,
        channels,
    } = network;
    let Channels {
        votes,
        certificates,
        certificate_backfill,
        block_backfill,
        blocks,
        transactions: (mut tx_sender, mut tx_receiver),
    } = channels;

    // Signing: validators sign, a full node only verifies.
    let scheme = match config.role {
        Role::Validator => match Scheme::signer(&namespace, participants.clone(), signer.clone()) {
            Some(s) => s,
            None => return Ok(()),
        },
        Role::Full => Scheme::verifier(&namespace, participants.clone()),
    };
    let page_cache = CacheRef::new(NZU16!(16_384), NZUsize!(1_000));
    let epocher = FixedEpocher::new(NZU64!(u64::MAX));
    let genesis = ChainBlock::new(config.genesis_block.clone());

    // Marshal: finalized blocks in order, backfill, archives.
    let marshal_prefix = wiring.partition("marshal");
    let marshal_config = marshal::Config {
        provider: ConstantProvider::new(scheme.clone()),
        epocher: epocher.clone(),
        start: marshal::Start::Genesis(Digested::precomputed(genesis.clone(), genesis.digest())),
        partition_prefix: marshal_prefix.clone(),
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
            &marshal_prefix,
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
            return Ok(());
        }
    };
    let finalized_blocks = match immutable::Archive::init(
        context.child("finalized_blocks"),
        archive_config(
            &marshal_prefix,
            "finalized-blocks",
            &page_cache,
            MAX_BLOCK_BYTES,
        ),
    )
    .await
    {
        Ok(a) => a,
        Err(e) => {
            tracing::error!("cannot open the block archive: {e}");
            return Ok(());
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
            peer_provider: peers.clone(),
            blocker: blocker.clone(),
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
            peer_provider: peers,
            strategy: Sequential,
        },
    );
    let broadcast_handle = broadcast.start(blocks);

    let (stop_finalizer, finalizer_stopped) = futures::channel::oneshot::channel::<()>();
    let fatal = Arc::new(Mutex::new(None));
    let fatal_slot = Arc::clone(&fatal);
    let on_fatal = move |e| {
        *fatal_slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
        let _ = stop_finalizer.send(());
    };
    let (finalizer, finalizer_run) = match wiring.finalizing {
        Finalizing::Thread => {
            let (f, thread) = Finalizer::<commonware_utils::acknowledgement::Exact>::start(
                Arc::clone(&chain),
                on_fatal,
            );
            (f, FinalizerRun::Thread(thread))
        }
        Finalizing::Task => {
            let (f, task) = Finalizer::<commonware_utils::acknowledgement::Exact>::spawn(
                context.child("finalizer"),
                Arc::clone(&chain),
                on_fatal,
            );
            (f, FinalizerRun::Task(task))
        }
    };
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
            blocker,
            automaton: inline.clone(),
            relay: inline.clone(),
            reporter: inline,
            strategy: Sequential,
            partition: wiring.partition("simplex-epoch-0"),
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

    tracing::info!(validators = participants.len(), role = ?config.role, "consensus engine started");
    futures::future::select(Box::pin(stop), finalizer_stopped).await;
    engine_handle.abort();
    marshal_handle.abort();
    broadcast_handle.abort();
    outbound.abort();
    inbound.abort();
    if let FinalizerRun::Task(task) = finalizer_run {
        task.abort();
    }
    match fatal.lock().unwrap_or_else(|p| p.into_inner()).take() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_partitions_keep_their_names_and_simulated_ones_get_a_prefix() {
        // A production node restarts on journals written before the wiring
        // was generic: its partition names must not change.
        let production = Wiring::production();
        assert_eq!(production.partition("marshal"), "marshal");
        assert_eq!(production.partition("simplex-epoch-0"), "simplex-epoch-0");
        assert_eq!(production.finalizing, Finalizing::Thread);
        let simulated = Wiring::simulated("node3");
        assert_eq!(simulated.partition("marshal"), "node3-marshal");
        assert_eq!(simulated.finalizing, Finalizing::Task);
    }
}

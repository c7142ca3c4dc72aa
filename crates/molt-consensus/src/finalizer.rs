//! Finalized blocks from marshal into the runtime, durably, in order.
//!
//! Marshal delivers every finalized block in height order, at least once,
//! each with an acknowledgement. The finalizer:
//!
//! 1. skips a block at or below the runtime's height if it is the block the
//!    runtime already holds there (a redelivery after a restart), and stops
//!    the node if it is not (this node finalized something else: a safety
//!    failure it must not paper over);
//! 2. verifies a block the runtime does not hold pending (it arrived by
//!    backfill, or was verified before a restart) on the latest finalized
//!    block; an invalid finalized block means this node computes a different
//!    state than the network, and it stops and says so;
//! 3. calls [`StateMachine::finalize`] (durable, atomic), then
//!    [`Chain::finalized`] (mempool upkeep, subscribers), then acknowledges.
//!
//! A finalized block past an upgrade plan's height that this binary may not
//! execute ([`RuntimeError::HaltedForUpgrade`]: a quorum on the new release
//! finalized it) is [`FinalizeError::Halted`]: the finalizer stops applying
//! blocks without acknowledging them, and without stopping the node, which
//! is halted at the plan's height waiting for its supervisor.
//!
//! Acknowledging only after the runtime's durable finalize is what lets
//! marshal prune and lets a restart resume: the runtime is never behind
//! what marshal believes processed.

use crate::block::ChainBlock;
use crate::chain::Chain;
use commonware_actor::Feedback;
use commonware_consensus::Reporter;
use commonware_consensus::marshal::Update;
use commonware_utils::Acknowledgement;
use molt_runtime::{RuntimeError, StateMachine, Verdict, VerifyContext};
use std::sync::Arc;

/// Why the finalizer stopped the node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FinalizeError {
    #[error(
        "the network finalized block {network} at height {height}, but this node holds {local} there; its data directory belongs to another chain or history: stop it and resync from genesis"
    )]
    ForkedHistory {
        height: u64,
        network: molt_types::BlockId,
        local: molt_types::BlockId,
    },
    #[error(
        "the network finalized block {id} at height {height}, but executing it here disagrees: {reason}; this node's state diverges from the network (a different binary or framework?), so it stopped"
    )]
    StateDiverged {
        id: molt_types::BlockId,
        height: u64,
        reason: String,
    },
    #[error(
        "the network finalized block {id} at height {height}, past a protocol upgrade this binary may not pass: {reason}"
    )]
    Halted {
        id: molt_types::BlockId,
        height: u64,
        reason: String,
    },
    #[error("this node's storage failed while finalizing height {height}: {reason}")]
    Storage { height: u64, reason: String },
    #[error("the node could not settle finalized block {height}: {reason}")]
    Node { height: u64, reason: String },
}

/// The marshal reporter: queues updates for the finalizing thread (or
/// task, see [`Finalizer::spawn`]).
#[derive(Debug)]
pub struct Finalizer<A: Acknowledgement> {
    queue: futures::channel::mpsc::UnboundedSender<Update<ChainBlock, A>>,
}

impl<A: Acknowledgement> Clone for Finalizer<A> {
    fn clone(&self) -> Self {
        Finalizer {
            queue: self.queue.clone(),
        }
    }
}

/// What the finalizer does with each update, wherever it runs.
struct Applier<C: Chain, A: Acknowledgement> {
    chain: Arc<C>,
    /// Blocks past an upgrade halt: held, never acknowledged (a dropped
    /// acknowledgement would read as a failure).
    unapplied: Vec<A>,
}

impl<C: Chain, A: Acknowledgement> Applier<C, A> {
    /// Applies one update; `Err` stops the finalizer.
    fn handle(&mut self, update: Update<ChainBlock, A>) -> Result<(), FinalizeError> {
        if let Update::Block(block, ack) = update {
            if !self.unapplied.is_empty() {
                self.unapplied.push(ack);
                return Ok(());
            }
            match apply(self.chain.as_ref(), block.inner()) {
                Ok(()) => ack.acknowledge(),
                Err(e @ FinalizeError::Halted { .. }) => {
                    tracing::warn!("{e}; this node stays at the plan's height");
                    self.unapplied.push(ack);
                }
                Err(e) => {
                    tracing::error!("{e}");
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

impl<A: Acknowledgement> Finalizer<A> {
    /// A finalizer and the thread that applies its blocks; `on_fatal` is
    /// called once if the thread stops on an error.
    ///
    /// Applying a block executes it and writes it durably, which blocks: on
    /// its own thread it never holds up the engine's scheduler.
    pub fn start<C: Chain>(
        chain: Arc<C>,
        on_fatal: impl FnOnce(FinalizeError) + Send + 'static,
    ) -> (Self, std::thread::JoinHandle<()>) {
        let (queue, updates) = futures::channel::mpsc::unbounded::<Update<ChainBlock, A>>();
        let thread = std::thread::Builder::new()
            .name("molt-finalizer".into())
            .spawn(move || {
                let mut applier = Applier {
                    chain,
                    unapplied: Vec::new(),
                };
                for update in futures::executor::block_on_stream(updates) {
                    if let Err(e) = applier.handle(update) {
                        on_fatal(e);
                        return;
                    }
                }
            })
            .expect("spawning the finalizer thread");
        (Finalizer { queue }, thread)
    }

    /// A finalizer that applies its blocks in a task of `context` instead of
    /// a thread: what a deterministic runtime needs (a thread would run
    /// outside its simulated time and order). The same rules as
    /// [`Finalizer::start`]; `on_fatal` is called once if the task stops on
    /// an error.
    pub fn spawn<C: Chain, E: commonware_runtime::Spawner>(
        context: E,
        chain: Arc<C>,
        on_fatal: impl FnOnce(FinalizeError) + Send + 'static,
    ) -> (Self, commonware_runtime::Handle<()>) {
        let (queue, mut updates) = futures::channel::mpsc::unbounded::<Update<ChainBlock, A>>();
        let task = context.spawn(move |_| async move {
            let mut applier = Applier {
                chain,
                unapplied: Vec::new(),
            };
            while let Some(update) = futures::StreamExt::next(&mut updates).await {
                if let Err(e) = applier.handle(update) {
                    on_fatal(e);
                    return;
                }
            }
        });
        (Finalizer { queue }, task)
    }
}

impl<A: Acknowledgement> Reporter for Finalizer<A> {
    type Activity = Update<ChainBlock, A>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        match self.queue.unbounded_send(activity) {
            Ok(()) => Feedback::Ok,
            Err(_) => Feedback::Closed,
        }
    }
}

fn storage(height: u64, e: RuntimeError) -> FinalizeError {
    FinalizeError::Storage {
        height,
        reason: e.to_string(),
    }
}

/// Applies one finalized block (see the module doc).
pub fn apply<C: Chain>(chain: &C, block: &ChainBlock) -> Result<(), FinalizeError> {
    let height = block.block().header.height;
    let id = block.id();
    let latest = chain.latest_block().map_err(|e| storage(height, e))?;
    if height <= latest.header.height {
        let local = if height == latest.header.height {
            Some(latest.header.id())
        } else {
            chain
                .block_at(height)
                .map_err(|e| storage(height, e))?
                .map(|b| b.header.id())
        };
        return match local {
            Some(local) if local == id => Ok(()),
            Some(local) => Err(FinalizeError::ForkedHistory {
                height,
                network: id,
                local,
            }),
            // Below a pruned history: nothing to compare, nothing to do.
            None => Ok(()),
        };
    }
    if !chain.is_pending(&id) {
        // Finalized by a quorum: the clock check must not refuse it.
        let ctx = VerifyContext { now_ms: u64::MAX };
        match chain.machine().verify(ctx, block.block()) {
            Ok(Verdict::Valid) => {}
            Ok(Verdict::Invalid(reason)) => {
                return Err(FinalizeError::StateDiverged {
                    id,
                    height,
                    reason: reason.to_string(),
                });
            }
            Err(e @ RuntimeError::HaltedForUpgrade { .. }) => {
                return Err(FinalizeError::Halted {
                    id,
                    height,
                    reason: e.to_string(),
                });
            }
            Err(e) => return Err(storage(height, e)),
        }
    }
    let finalized = chain
        .machine()
        .finalize(&id)
        .map_err(|e| storage(height, e))?;
    chain
        .finalized(&finalized)
        .map_err(|reason| FinalizeError::Node { height, reason })?;
    Ok(())
}

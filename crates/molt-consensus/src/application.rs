//! The Molt application under Commonware's marshal: building and checking
//! blocks with the runtime's [`StateMachine`].
//!
//! Marshal's `Inline` wrapper calls [`Application::propose`] on the leader and
//! [`Application::verify`] on every validator before it votes, each with the
//! block's ancestry (newest first, fetched from peers when missing).
//!
//! # Rules
//!
//! - **Pacing.** The leader builds a block no earlier than its parent's
//!   timestamp plus the block interval, so an idle chain makes one (empty)
//!   block per interval instead of spinning.
//! - **Speculative state per block.** The runtime keeps every proposed or
//!   verified block pending under its id; a child executes on its parent's
//!   pending state. If the parent is unknown here (this node restarted, or
//!   missed it), the ancestry is walked back to a block the runtime knows and
//!   the missing blocks are verified oldest first.
//! - **Deterministic verdicts.** `false` only for a block that can never be
//!   valid: an [`InvalidBlock`] reason, or an ancestry that does not lead to
//!   this node's finalized chain. A timestamp ahead of this node's clock is
//!   not final: the verdict waits until the clock passes it. A failure of
//!   the node itself ([`molt_runtime::RuntimeError`]) gives no verdict at all
//!   (the request stays unanswered and is logged); the node's state is
//!   unchanged and it is expected to stop.
//! - **Protocol-upgrade halt.** Past an upgrade plan's height a binary older
//!   than the plan's release gets [`RuntimeError::HaltedForUpgrade`] from
//!   `propose` and `verify`: it proposes nothing and gives no verdict (no
//!   vote, for or against) on any block above the height. With every honest
//!   validator on the old release halting at the same height, no block
//!   above it can be finalized by old binaries; the new release goes on.

use crate::block::{BlockDigest, ChainBlock, digest_of};
use crate::chain::Chain;
use crate::scheme::{PublicKey, Scheme};
use commonware_consensus::marshal::ancestry::Ancestry;
use commonware_consensus::simplex::types::Context;
use commonware_cryptography::Digested;
use commonware_runtime::{Clock, Metrics, Spawner};
use futures::StreamExt;
use molt_runtime::{
    InvalidBlock, ProposeContext, RuntimeError, StateMachine, Verdict, VerifyContext,
};
use molt_types::{Address, BlockId};
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The consensus context of a Molt block.
pub type BlockContext = Context<BlockDigest, PublicKey>;

/// The marshal application over a [`Chain`].
#[derive(Debug)]
pub struct Application<C: Chain, E> {
    chain: Arc<C>,
    /// This validator's Molt address (the proposer in the header); `None`
    /// on a full node, which never proposes.
    proposer: Option<Address>,
    block_interval: Duration,
    max_block_transactions: usize,
    _runtime: PhantomData<fn() -> E>,
}

impl<C: Chain, E> Clone for Application<C, E> {
    fn clone(&self) -> Self {
        Application {
            chain: Arc::clone(&self.chain),
            proposer: self.proposer,
            block_interval: self.block_interval,
            max_block_transactions: self.max_block_transactions,
            _runtime: PhantomData,
        }
    }
}

fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Why a block cannot be executed here.
enum Reject {
    /// Permanently invalid: vote against it.
    Invalid(String),
    /// No verdict: the node's own state failed.
    Fault(String),
    /// No verdict: the block is past an upgrade plan's height and this
    /// binary may not judge it.
    Halted(String),
}

fn runtime_reject(e: RuntimeError) -> Reject {
    match e {
        e @ RuntimeError::HaltedForUpgrade { .. } => Reject::Halted(e.to_string()),
        e => Reject::Fault(e.to_string()),
    }
}

impl<C: Chain, E: Clock> Application<C, E> {
    pub fn new(
        chain: Arc<C>,
        proposer: Option<Address>,
        block_interval: Duration,
        max_block_transactions: usize,
    ) -> Self {
        Application {
            chain,
            proposer,
            block_interval,
            max_block_transactions,
            _runtime: PhantomData,
        }
    }

    /// Whether the runtime can execute a child of `id` now.
    fn knows(&self, id: &BlockId) -> Result<bool, Reject> {
        if self.chain.is_pending(id) {
            return Ok(true);
        }
        let latest = self
            .chain
            .latest_block()
            .map_err(|e| Reject::Fault(e.to_string()))?;
        Ok(latest.header.id() == *id)
    }

    /// Verifies `block` on its (known) parent, waiting out a timestamp that is
    /// only ahead of this node's clock.
    async fn verify_one(&self, clock: &E, block: &ChainBlock) -> Result<(), Reject> {
        loop {
            let ctx = VerifyContext {
                now_ms: millis(clock.current()),
            };
            match self.chain.machine().verify(ctx, block.block()) {
                Ok(Verdict::Valid) => return Ok(()),
                Ok(Verdict::Invalid(InvalidBlock::TimestampTooFarAhead {
                    timestamp_ms,
                    now_ms,
                    ..
                })) => {
                    let wait = timestamp_ms.saturating_sub(now_ms).clamp(10, 1_000);
                    clock.sleep(Duration::from_millis(wait)).await;
                }
                Ok(Verdict::Invalid(reason)) => {
                    return Err(Reject::Invalid(format!(
                        "block {} at height {}: {reason}",
                        block.id(),
                        block.block().header.height
                    )));
                }
                Err(e) => return Err(runtime_reject(e)),
            }
        }
    }

    /// Makes every block of `ancestry` up to its first (newest) one pending
    /// here: walks back to a block the runtime knows, then verifies forward.
    async fn execute_ancestry(
        &self,
        clock: &E,
        mut ancestry: impl Ancestry<ChainBlock>,
    ) -> Result<Option<Digested<ChainBlock>>, Reject> {
        let finalized_height = self
            .chain
            .latest_block()
            .map_err(|e| Reject::Fault(e.to_string()))?
            .header
            .height;
        let mut missing: Vec<Digested<ChainBlock>> = Vec::new();
        let newest = loop {
            let Some(block) = ancestry.next().await else {
                // The stream ended (shutdown or a broken ancestry): no verdict.
                return Ok(None);
            };
            let inner = block.inner();
            if self.knows(&inner.id())? {
                break missing.first().cloned().unwrap_or(block);
            }
            if inner.block().header.height <= finalized_height {
                return Err(Reject::Invalid(format!(
                    "block {} at height {} is not on this node's finalized chain",
                    inner.id(),
                    inner.block().header.height
                )));
            }
            missing.push(block);
        };
        for block in missing.iter().rev() {
            self.verify_one(clock, block.inner()).await?;
        }
        Ok(Some(newest))
    }
}

impl<C, E> commonware_consensus::Application<E> for Application<C, E>
where
    C: Chain,
    E: Clock + Spawner + Metrics,
{
    type SigningScheme = Scheme;
    type Context = BlockContext;
    type Block = ChainBlock;
    type Input = ();

    async fn propose(
        &mut self,
        (clock, _context): (E, BlockContext),
        ancestry: impl Ancestry<ChainBlock>,
        _input: (),
    ) -> Option<Digested<ChainBlock>> {
        let proposer = self.proposer?;
        let parent = match self.execute_ancestry(&clock, ancestry).await {
            Ok(Some(parent)) => parent,
            Ok(None) => return None,
            Err(Reject::Halted(why)) => {
                tracing::debug!("not proposing: {why}");
                return None;
            }
            Err(Reject::Invalid(why) | Reject::Fault(why)) => {
                tracing::warn!("cannot build on the parent: {why}");
                return None;
            }
        };
        let header = &parent.inner().block().header;
        let due = header
            .timestamp_ms
            .saturating_add(self.block_interval.as_millis() as u64);
        let now = millis(clock.current());
        if due > now {
            clock.sleep(Duration::from_millis(due - now)).await;
        }
        let candidates = self
            .chain
            .candidates(self.max_block_transactions, &header.id());
        let ctx = ProposeContext {
            parent: header.id(),
            proposer,
            timestamp_ms: millis(clock.current()),
        };
        match self.chain.machine().propose(ctx, &candidates) {
            Ok(proposal) => {
                self.chain.skipped(&proposal.skipped);
                let block = ChainBlock::new(proposal.block);
                let digest = digest_of(&block.id());
                tracing::debug!(
                    height = block.block().header.height,
                    transactions = block.block().transactions.len(),
                    "proposed"
                );
                Some(Digested::precomputed(block, digest))
            }
            Err(e @ RuntimeError::HaltedForUpgrade { .. }) => {
                tracing::debug!("not proposing: {e}");
                None
            }
            Err(e) => {
                tracing::error!("proposing failed: {e}");
                None
            }
        }
    }

    async fn verify(
        &mut self,
        (clock, _context): (E, BlockContext),
        ancestry: impl Ancestry<ChainBlock>,
    ) -> bool {
        match self.execute_ancestry(&clock, ancestry).await {
            Ok(Some(_)) => true,
            Ok(None) => futures::future::pending().await,
            Err(Reject::Invalid(why)) => {
                tracing::warn!("voting against an invalid block: {why}");
                false
            }
            Err(Reject::Halted(why)) => {
                // Neither for nor against: a newer release judges it.
                tracing::debug!("not voting: {why}");
                futures::future::pending().await
            }
            Err(Reject::Fault(why)) => {
                // No verdict on our own failure; the finalizer stops the node
                // if the state is really broken.
                tracing::error!("cannot verify a block, this node's state failed: {why}");
                futures::future::pending().await
            }
        }
    }
}

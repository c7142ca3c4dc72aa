//! [`TimedRuntime`]: the runtime as the engine's state machine, timed.
//!
//! Each call is passed to the runtime unchanged (same arguments, same
//! result); only the time it took is recorded in the node's
//! [`super::Telemetry`].

use crate::producer::Shared;
use molt_runtime::{
    Finalized, Proposal, ProposeContext, Rejection, RuntimeError, StateMachine, Verdict,
    VerifyContext,
};
use molt_types::{Block, BlockId, SignedTransaction};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The node's runtime, timed. Finalizing records the commit time of the
/// block into `last_commit` for the block event.
#[derive(Debug)]
pub(crate) struct TimedRuntime {
    inner: Arc<Shared>,
    last_commit: std::sync::Mutex<Duration>,
}

impl TimedRuntime {
    pub(crate) fn new(inner: Arc<Shared>) -> Self {
        TimedRuntime {
            inner,
            last_commit: std::sync::Mutex::new(Duration::ZERO),
        }
    }

    /// How long the last `finalize` took.
    pub(crate) fn last_commit(&self) -> Duration {
        *self.last_commit.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn executed(&self, block: &Block, since: Instant) {
        self.inner
            .telemetry
            .executed(block, block.header.id(), since.elapsed());
    }
}

impl StateMachine for TimedRuntime {
    fn propose(
        &self,
        ctx: ProposeContext,
        candidates: &[SignedTransaction],
    ) -> Result<Proposal, RuntimeError> {
        let start = Instant::now();
        let proposal = StateMachine::propose(&self.inner.runtime, ctx, candidates)?;
        self.executed(&proposal.block, start);
        Ok(proposal)
    }

    fn verify(&self, ctx: VerifyContext, block: &Block) -> Result<Verdict, RuntimeError> {
        let start = Instant::now();
        let verdict = StateMachine::verify(&self.inner.runtime, ctx, block)?;
        if verdict == Verdict::Valid {
            self.executed(block, start);
        }
        Ok(verdict)
    }

    fn finalize(&self, id: &BlockId) -> Result<Finalized, RuntimeError> {
        let start = Instant::now();
        let finalized = StateMachine::finalize(&self.inner.runtime, id)?;
        *self.last_commit.lock().unwrap_or_else(|p| p.into_inner()) = start.elapsed();
        Ok(finalized)
    }

    fn discard(&self, id: &BlockId) {
        StateMachine::discard(&self.inner.runtime, id);
        self.inner.telemetry.discarded(id);
    }

    fn check_transaction(&self, tx: &SignedTransaction) -> Result<(), Rejection> {
        StateMachine::check_transaction(&self.inner.runtime, tx)
    }
}

//! What the node tells its operator about itself: one log event per block
//! and (module `metrics`) Prometheus metrics. Node-local: timings come from
//! the node's monotonic clock and never reach the state machine.
//!
//! # The block event
//!
//! Every finalized block is one `tracing` event at level `info` with target
//! `molt::block` and message `block finalized`, carrying:
//!
//! | field | meaning |
//! | --- | --- |
//! | `height` | the block's height |
//! | `id` | the block id (hex) |
//! | `epoch` | the block's epoch |
//! | `transactions` | transactions included |
//! | `dropped` | mempool transactions dropped as never includable after it |
//! | `execute_us` | microseconds this node spent executing it (proposing or verifying); 0 if it executed before a restart |
//! | `commit_us` | microseconds spent persisting it and settling the mempool |
//! | `interval_ms` | milliseconds since the previous block finalized here; absent for the first block after start |
//!
//! # Execution timing
//!
//! [`TimedRuntime`] wraps the runtime as the consensus engine's state
//! machine and times `propose`, `verify` and `finalize`. A block's execution
//! time is kept under its id until it is finalized or discarded; at most
//! [`MAX_PENDING_TIMINGS`] are kept (the oldest heights are forgotten
//! first), so a flood of proposals cannot grow it.

mod timed;

pub(crate) use timed::TimedRuntime;

use molt_types::{Block, BlockId};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most pending blocks whose execution time is remembered.
pub const MAX_PENDING_TIMINGS: usize = 1024;

/// The node's telemetry state, shared by the engine and the RPC handlers.
#[derive(Debug, Default)]
pub struct Telemetry {
    /// Execution time of pending blocks, by height then id.
    executed: Mutex<BTreeMap<(u64, BlockId), Duration>>,
    /// When the previous block finalized on this node.
    last_finalized: Mutex<Option<Instant>>,
}

/// The timings of one finalized block, as logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockTimings {
    pub execute: Duration,
    pub commit: Duration,
    /// Since the previous block finalized here; `None` for the first.
    pub interval: Option<Duration>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Telemetry {
    /// Records that executing `block` took `took` (the first time only:
    /// re-verifying a pending block is not executing it again).
    pub(crate) fn executed(&self, block: &Block, id: BlockId, took: Duration) {
        let mut map = lock(&self.executed);
        map.entry((block.header.height, id)).or_insert(took);
        while map.len() > MAX_PENDING_TIMINGS {
            map.pop_first();
        }
    }

    /// Forgets the timing of a discarded pending block.
    pub(crate) fn discarded(&self, id: &BlockId) {
        lock(&self.executed).retain(|(_, k), _| k != id);
    }

    /// Takes the execution time of `block` (now finalized) and forgets every
    /// pending timing at or below its height.
    pub(crate) fn take_executed(&self, block: &Block) -> Duration {
        let mut map = lock(&self.executed);
        let height = block.header.height;
        let took = map.remove(&(height, block.header.id())).unwrap_or_default();
        map.retain(|(h, _), _| *h > height);
        took
    }

    /// Logs the block event for `block` and returns its timings; `commit`
    /// is the time spent persisting and settling it.
    pub(crate) fn finalized(
        &self,
        block: &Block,
        dropped: usize,
        execute: Duration,
        commit: Duration,
    ) -> BlockTimings {
        let now = Instant::now();
        let interval = lock(&self.last_finalized)
            .replace(now)
            .map(|before| now.duration_since(before));
        let h = &block.header;
        let interval_ms = interval.map(|d| d.as_millis() as u64);
        tracing::info!(
            target: "molt::block",
            height = h.height,
            id = %h.id(),
            epoch = h.epoch,
            transactions = block.transactions.len(),
            dropped,
            execute_us = execute.as_micros() as u64,
            commit_us = commit.as_micros() as u64,
            interval_ms,
            "block finalized"
        );
        BlockTimings {
            execute,
            commit,
            interval,
        }
    }
}

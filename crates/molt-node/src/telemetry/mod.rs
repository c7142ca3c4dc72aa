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
//! # Metrics
//!
//! [`Metrics`] (module `metrics`, which lists every series) is served at
//! `GET /metrics` on the RPC port by [`MetricsEndpoint`]; RPC calls are
//! counted by the [`RpcMetricsLayer`] middleware.
//!
//! # Execution timing
//!
//! [`TimedRuntime`] wraps the runtime as the consensus engine's state
//! machine and times `propose`, `verify` and `finalize`. A block's execution
//! time is kept under its id until it is finalized or discarded; at most
//! [`MAX_PENDING_TIMINGS`] are kept (the oldest heights are forgotten
//! first), so a flood of proposals cannot grow it.

mod metrics;
mod rpc_layer;
mod timed;

pub use metrics::{
    CONTENT_TYPE, Metrics, OPENMETRICS_CONTENT_TYPE, openmetrics_to_prometheus, reason_label,
};
pub use rpc_layer::RpcMetricsLayer;
pub(crate) use timed::TimedRuntime;

use molt_runtime::Rejection;
use molt_types::{Block, BlockId, TransactionId};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
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
    /// The Prometheus metrics.
    pub metrics: Arc<Metrics>,
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
        if map.contains_key(&(block.header.height, id)) {
            return;
        }
        map.insert((block.header.height, id), took);
        self.metrics.executed(block.header.height, took);
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

    /// Logs the block event for `block`, updates the metrics and returns
    /// its timings; `dropped` are the mempool transactions dropped after it,
    /// `commit` the time spent persisting and settling it.
    pub(crate) fn finalized(
        &self,
        block: &Block,
        dropped: &[(TransactionId, Rejection)],
        execute: Duration,
        commit: Duration,
    ) -> BlockTimings {
        let now = Instant::now();
        let interval = lock(&self.last_finalized)
            .replace(now)
            .map(|before| now.duration_since(before));
        let h = &block.header;
        self.metrics
            .finalized(h.height, block.transactions.len(), commit, interval);
        for (_, why) in dropped {
            self.metrics.rejected("block", why);
        }
        let dropped = dropped.len();
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

/// Answers `GET /metrics` on the RPC port with the node's metrics.
#[derive(Debug, Clone)]
pub(crate) struct MetricsEndpoint(pub(crate) Arc<crate::producer::Shared>);

/// The path metrics are served at.
pub const METRICS_PATH: &str = "/metrics";

impl MetricsEndpoint {
    /// The response to `req` if it asks for the metrics, else `None` (the
    /// request goes on to JSON-RPC).
    pub(crate) fn respond<B>(
        &self,
        req: &hyper::Request<B>,
    ) -> Option<jsonrpsee::server::HttpResponse> {
        if req.method() != hyper::Method::GET || req.uri().path() != METRICS_PATH {
            return None;
        }
        let s = &self.0;
        let pool = {
            let pool = crate::producer::lock(&s.mempool);
            (pool.len(), pool.bytes())
        };
        let validators = s.runtime.validators().map(|v| v.len()).unwrap_or(0);
        let m = &s.telemetry.metrics;
        m.set_live(pool, validators);
        let openmetrics = req
            .headers()
            .get_all(hyper::header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains("application/openmetrics-text"));
        let (body, content_type) = if openmetrics {
            (m.encode(), OPENMETRICS_CONTENT_TYPE)
        } else {
            (m.encode_prometheus(), CONTENT_TYPE)
        };
        let mut r = jsonrpsee::server::HttpResponse::new(jsonrpsee::server::HttpBody::from(body));
        r.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static(content_type),
        );
        Some(r)
    }

    /// The node's shared state, for the other pages on the RPC port.
    pub(crate) fn shared(&self) -> Arc<crate::producer::Shared> {
        Arc::clone(&self.0)
    }

    pub(crate) fn rpc_layer(&self) -> RpcMetricsLayer {
        RpcMetricsLayer(Arc::clone(&self.0.telemetry.metrics))
    }
}

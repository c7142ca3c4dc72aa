//! The node's Prometheus metrics, served as text at `GET /metrics` on the
//! RPC port.
//!
//! Two encodings of the same series, chosen by the request's `Accept`
//! header: OpenMetrics text ([`OPENMETRICS_CONTENT_TYPE`]) when the client
//! accepts `application/openmetrics-text` (as the Prometheus server does),
//! otherwise the Prometheus text format 0.0.4 ([`CONTENT_TYPE`]) that curl,
//! `promtool check metrics` and older scrapers read. They differ only in
//! how a counter's family is named (`x` with sample `x_total` in
//! OpenMetrics, `x_total` in 0.0.4) and in OpenMetrics' `# UNIT` and
//! `# EOF` lines.
//!
//! | metric | type | meaning |
//! | --- | --- | --- |
//! | `molt_block_height` | gauge | highest block this node has executed (pending ones included) |
//! | `molt_finalized_height` | gauge | height of the latest finalized block |
//! | `molt_block_interval_seconds` | histogram | time between two finalized blocks on this node |
//! | `molt_block_transactions` | histogram | transactions per finalized block |
//! | `molt_block_execution_seconds` | histogram | time to execute a block (propose or verify) |
//! | `molt_block_commit_seconds` | histogram | time to persist a block and settle the mempool |
//! | `molt_mempool_transactions` | gauge | transactions waiting in the mempool |
//! | `molt_mempool_bytes` | gauge | their encoded size |
//! | `molt_transactions_rejected_total{stage,reason}` | counter | transactions refused: `stage` is `admission` (refused by `molt_submitTransaction`) or `block` (dropped from the mempool after a block); `reason` is the rejection's kind in snake case, e.g. `sequence_too_old`, `mempool_full` |
//! | `molt_rpc_requests_total{method}` | counter | JSON-RPC calls by method (batch entries included); a method the node does not serve counts as `unknown` |
//! | `molt_rpc_request_duration_seconds{method}` | histogram | time to answer a single call |
//! | `molt_consensus_validators` | gauge | validators of the current epoch |
//! | `molt_consensus_peers` | gauge | peers in this node's configuration |
//!
//! Label values come from fixed sets (method names the node serves,
//! rejection kinds), never from raw client input, so no request can grow
//! the number of series without bound.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::time::Duration;

/// The content type of [`Metrics::encode`]'s output.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The content type of [`Metrics::encode_prometheus`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// OpenMetrics text rewritten as Prometheus text 0.0.4: counter families
/// take their samples' `_total` name, `# UNIT` and `# EOF` lines go.
pub fn openmetrics_to_prometheus(text: &str) -> String {
    let counters: BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let meta = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|p| line.strip_prefix(p).map(|rest| (p, rest)));
        match meta {
            Some((prefix, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                out.push_str(prefix);
                out.push_str(name);
                if counters.contains(name) {
                    out.push_str("_total");
                }
                if !tail.is_empty() {
                    out.push(' ');
                    out.push_str(tail);
                }
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabel {
    method: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RejectionLabels {
    stage: &'static str,
    reason: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 100 µs .. ~1.6 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 15))
}

/// Every metric of the node, and the registry that encodes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    block_height: Gauge,
    finalized_height: Gauge,
    block_interval: Histogram,
    block_transactions: Histogram,
    block_execution: Histogram,
    block_commit: Histogram,
    mempool_transactions: Gauge,
    mempool_bytes: Gauge,
    rejected: Family<RejectionLabels, Counter>,
    rpc_requests: Family<MethodLabel, Counter>,
    rpc_duration: HistogramFamily<MethodLabel>,
    validators: Gauge,
    peers: Gauge,
    /// The RPC methods the node serves (set once the module is built).
    methods: OnceLock<BTreeSet<String>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// The snake-case kind of an error enum's value, from its `Debug` form
/// (`SequenceTooOld { .. }` is `sequence_too_old`): a fixed set per type.
pub fn reason_label(why: &impl std::fmt::Debug) -> String {
    let debug = format!("{why:?}");
    let name: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    if out.is_empty() { "other".into() } else { out }
}

impl Metrics {
    /// All metrics at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("molt");
        let m = Metrics {
            block_height: Gauge::default(),
            finalized_height: Gauge::default(),
            block_interval: Histogram::new(exponential_buckets(0.01, 2.0, 14)),
            block_transactions: Histogram::new(
                std::iter::once(0.0).chain(exponential_buckets(1.0, 2.0, 14)),
            ),
            block_execution: latency_histogram(),
            block_commit: latency_histogram(),
            mempool_transactions: Gauge::default(),
            mempool_bytes: Gauge::default(),
            rejected: Family::default(),
            rpc_requests: Family::default(),
            rpc_duration: Family::new_with_constructor(latency_histogram),
            validators: Gauge::default(),
            peers: Gauge::default(),
            methods: OnceLock::new(),
            registry: Registry::default(),
        };
        registry.register(
            "block_height",
            "Highest block this node has executed, pending ones included",
            m.block_height.clone(),
        );
        registry.register(
            "finalized_height",
            "Height of the latest finalized block",
            m.finalized_height.clone(),
        );
        registry.register(
            "block_interval_seconds",
            "Time between two finalized blocks on this node",
            m.block_interval.clone(),
        );
        registry.register(
            "block_transactions",
            "Transactions per finalized block",
            m.block_transactions.clone(),
        );
        registry.register(
            "block_execution_seconds",
            "Time to execute a block (propose or verify)",
            m.block_execution.clone(),
        );
        registry.register(
            "block_commit_seconds",
            "Time to persist a block and settle the mempool",
            m.block_commit.clone(),
        );
        registry.register(
            "mempool_transactions",
            "Transactions waiting in the mempool",
            m.mempool_transactions.clone(),
        );
        registry.register(
            "mempool_bytes",
            "Encoded size of the transactions in the mempool",
            m.mempool_bytes.clone(),
        );
        registry.register(
            "transactions_rejected",
            "Transactions refused at admission or dropped after a block, by reason",
            m.rejected.clone(),
        );
        registry.register(
            "rpc_requests",
            "JSON-RPC calls by method",
            m.rpc_requests.clone(),
        );
        registry.register(
            "rpc_request_duration_seconds",
            "Time to answer a JSON-RPC call, by method",
            m.rpc_duration.clone(),
        );
        registry.register(
            "consensus_validators",
            "Validators of the current epoch",
            m.validators.clone(),
        );
        registry.register(
            "consensus_peers",
            "Peers in this node's network configuration",
            m.peers.clone(),
        );
        Metrics { registry, ..m }
    }

    /// The registry's text, ending in `# EOF`.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// The registry's text in the Prometheus text format 0.0.4.
    pub fn encode_prometheus(&self) -> String {
        openmetrics_to_prometheus(&self.encode())
    }

    /// The RPC methods the node serves; others are counted as `unknown`.
    pub fn set_methods(&self, methods: impl IntoIterator<Item = String>) {
        let _ = self.methods.set(methods.into_iter().collect());
    }

    fn method(&self, name: &str) -> String {
        match self.methods.get() {
            Some(known) if known.contains(name) => name.to_string(),
            _ => "unknown".to_string(),
        }
    }

    /// One RPC call of `method` (answered in `took`, when timed alone).
    pub fn rpc_call(&self, method: &str, took: Option<Duration>) {
        let label = MethodLabel {
            method: self.method(method),
        };
        self.rpc_requests.get_or_create(&label).inc();
        if let Some(took) = took {
            self.rpc_duration
                .get_or_create(&label)
                .observe(took.as_secs_f64());
        }
    }

    /// A transaction refused at `stage` because of `why`.
    pub fn rejected(&self, stage: &'static str, why: &impl std::fmt::Debug) {
        self.rejected
            .get_or_create(&RejectionLabels {
                stage,
                reason: reason_label(why),
            })
            .inc();
    }

    pub(crate) fn executed(&self, height: u64, took: Duration) {
        let h = i64::try_from(height).unwrap_or(i64::MAX);
        if h > self.block_height.get() {
            self.block_height.set(h);
        }
        self.block_execution.observe(took.as_secs_f64());
    }

    pub(crate) fn finalized(
        &self,
        height: u64,
        transactions: usize,
        commit: Duration,
        interval: Option<Duration>,
    ) {
        let h = i64::try_from(height).unwrap_or(i64::MAX);
        self.finalized_height.set(h);
        if h > self.block_height.get() {
            self.block_height.set(h);
        }
        self.block_transactions
            .observe(u32::try_from(transactions).unwrap_or(u32::MAX).into());
        self.block_commit.observe(commit.as_secs_f64());
        if let Some(i) = interval {
            self.block_interval.observe(i.as_secs_f64());
        }
    }

    /// Sets the gauges read at scrape time.
    pub(crate) fn set_live(&self, mempool: (usize, usize), validators: usize) {
        let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        self.mempool_transactions.set(n(mempool.0));
        self.mempool_bytes.set(n(mempool.1));
        self.validators.set(n(validators));
    }

    pub(crate) fn set_peers(&self, peers: usize) {
        self.peers.set(i64::try_from(peers).unwrap_or(i64::MAX));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    #[allow(dead_code)]
    enum Why {
        SequenceTooOld { expected: u64 },
        Full(usize),
    }

    #[test]
    fn reasons_are_snake_case_kinds_without_their_values() {
        assert_eq!(
            reason_label(&Why::SequenceTooOld { expected: 3 }),
            "sequence_too_old"
        );
        assert_eq!(reason_label(&Why::Full(9)), "full");
    }

    #[test]
    fn unknown_methods_share_one_series() {
        let m = Metrics::new();
        m.set_methods(["molt_chainInfo".to_string()]);
        m.rpc_call("molt_chainInfo", Some(Duration::from_millis(2)));
        m.rpc_call("made_up_1", None);
        m.rpc_call("made_up_2", None);
        let text = m.encode();
        assert!(
            text.contains("molt_rpc_requests_total{method=\"molt_chainInfo\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("molt_rpc_requests_total{method=\"unknown\"} 2"),
            "{text}"
        );
        assert!(!text.contains("made_up"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
        let old = m.encode_prometheus();
        assert!(
            old.contains("# TYPE molt_rpc_requests_total counter\n"),
            "{old}"
        );
        assert!(
            old.contains("# HELP molt_rpc_requests_total JSON-RPC"),
            "{old}"
        );
        assert!(old.contains("# TYPE molt_mempool_bytes gauge\n"), "{old}");
        assert!(!old.contains("# EOF"), "{old}");
    }
}

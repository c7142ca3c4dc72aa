//! `molt_nodeStatus`: what the node is holding for its clients right now.
//!
//! The answer is read live, without a snapshot:
//!
//! - `rpc.connections`: open TCP connections on the RPC port (HTTP and
//!   WebSocket), each holding one of `rpc.max_connections` slots;
//! - `rpc.subscriptions`: live WebSocket subscriptions on all connections; a
//!   subscription ends when its client unsubscribes or its connection closes,
//!   so with no client connected this is 0;
//! - `mempool`: transactions waiting for a block and their encoded bytes;
//! - `version`: this binary's release, commit and protocol version;
//! - `upgrade`: `running`, `halted` or `ready` for a protocol upgrade, and
//!   the plan in chain state (see the `halt` module);
//! - `journal`: records in the mempool journal and what the node recovered
//!   from it when it started (see the `journal` module).
//!
//! The counters are [`Gauge`]s: a live thing holds a [`Held`] token for as
//! long as it lives, so a count cannot drift from what exists.

use crate::producer::Shared;
use molt_rpc_types::{
    JournalStatus, MempoolStatus, NodeStatus, RecoveredAtStart, RpcStatus, UpgradeStatus,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A count of live things; each holds a [`Held`] token from [`Gauge::enter`].
#[derive(Debug, Clone, Default)]
pub struct Gauge(Arc<AtomicUsize>);

impl Gauge {
    /// Counts one more live thing until the returned token is dropped.
    pub fn enter(&self) -> Held {
        self.0.fetch_add(1, Ordering::Relaxed);
        Held(Arc::clone(&self.0))
    }

    /// How many tokens are held now.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// One counted live thing; dropping it uncounts it.
#[derive(Debug)]
pub struct Held(Arc<AtomicUsize>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The RPC server's live load, shared by the transport and the subscriptions.
#[derive(Debug, Clone, Default)]
pub struct RpcLoad {
    /// Open TCP connections on the RPC port.
    pub connections: Gauge,
    /// Live WebSocket subscriptions.
    pub subscriptions: Gauge,
}

/// The result of `molt_nodeStatus`.
pub fn node_status(s: &Shared) -> NodeStatus {
    let (transactions, bytes) = s
        .mempool
        .lock()
        .map(|m| (m.len(), m.bytes()))
        .unwrap_or_else(|p| {
            let m = p.into_inner();
            (m.len(), m.bytes())
        });
    let journal = s.journal.lock().unwrap_or_else(|p| p.into_inner());
    let recovered = journal.recovered();
    let upgrade = match &*s.upgrade_state() {
        crate::halt::UpgradeState::Running => "running",
        crate::halt::UpgradeState::Halted { .. } => "halted",
        crate::halt::UpgradeState::Ready { .. } => "ready",
    };
    NodeStatus {
        height: s.runtime.height(),
        version: s.version.clone(),
        upgrade: UpgradeStatus {
            state: upgrade.into(),
            plan: s.runtime.upgrade_plan().ok().flatten(),
        },
        rpc: RpcStatus {
            connections: s.load.connections.get(),
            max_connections: s.rpc.max_connections.get(),
            subscriptions: s.load.subscriptions.get(),
            max_subscriptions_per_connection: s.rpc.max_subscriptions_per_connection.get(),
        },
        mempool: MempoolStatus {
            transactions,
            bytes,
        },
        journal: JournalStatus {
            records: journal.records(),
            recovered_at_start: RecoveredAtStart {
                readmitted: recovered.readmitted,
                already_included: recovered.already_included,
                dropped_invalid: recovered.dropped_invalid,
                torn_bytes: recovered.torn_bytes,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gauge_counts_exactly_the_tokens_alive() {
        let g = Gauge::default();
        let a = g.enter();
        let b = g.clone().enter();
        assert_eq!(g.get(), 2);
        drop(a);
        assert_eq!(g.get(), 1);
        drop(b);
        assert_eq!(g.get(), 0);
    }
}

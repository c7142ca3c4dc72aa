//! The mempool: admitted transactions waiting for a block, ordered by
//! arrival, at most one per `(sender, sequence number)`.

use molt_types::{Address, SignedTransaction, TransactionId};
use std::collections::{BTreeMap, BTreeSet};

/// Limits of the mempool.
#[derive(Debug, Clone)]
pub struct MempoolConfig {
    pub max_transactions: usize,
    pub max_bytes: usize,
    pub max_per_sender: usize,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig {
            max_transactions: 20_000,
            max_bytes: 64 * 1024 * 1024,
            max_per_sender: 1_000,
        }
    }
}

/// Why the mempool refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    #[error("transaction {0} is already in the mempool")]
    Duplicate(TransactionId),
    #[error("sender {sender} already has a pending transaction with sequence number {sequence}")]
    SequenceTaken { sender: Address, sequence: u64 },
    #[error("the mempool is full ({0} transactions); retry later")]
    Full(usize),
    #[error("the mempool holds its byte limit ({0} bytes); retry later")]
    FullBytes(usize),
    #[error("sender {0} has too many pending transactions; wait for some to be included")]
    SenderLimit(Address),
}

#[derive(Debug, Default)]
pub struct Mempool {
    config: MempoolConfig,
    arrival: u64,
    by_arrival: BTreeMap<u64, (SignedTransaction, usize)>,
    by_sender: BTreeMap<(Address, u64), u64>,
    ids: BTreeMap<TransactionId, u64>,
    bytes: usize,
}

impl Mempool {
    pub fn new(config: MempoolConfig) -> Self {
        Mempool {
            config,
            ..Default::default()
        }
    }

    pub fn len(&self) -> usize {
        self.by_arrival.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_arrival.is_empty()
    }

    pub fn contains(&self, id: &TransactionId) -> bool {
        self.ids.contains_key(id)
    }

    pub fn insert(
        &mut self,
        tx: SignedTransaction,
        size: usize,
    ) -> Result<TransactionId, MempoolError> {
        let id = tx.id();
        let sender = tx.transaction.sender;
        let seq = tx.transaction.sequence_number;
        if self.ids.contains_key(&id) {
            return Err(MempoolError::Duplicate(id));
        }
        if self.by_sender.contains_key(&(sender, seq)) {
            return Err(MempoolError::SequenceTaken {
                sender,
                sequence: seq,
            });
        }
        if self.len() >= self.config.max_transactions {
            return Err(MempoolError::Full(self.len()));
        }
        if self.bytes + size > self.config.max_bytes {
            return Err(MempoolError::FullBytes(self.config.max_bytes));
        }
        let pending = self
            .by_sender
            .range((sender, 0)..=(sender, u64::MAX))
            .count();
        if pending >= self.config.max_per_sender {
            return Err(MempoolError::SenderLimit(sender));
        }
        let n = self.arrival;
        self.arrival += 1;
        self.by_arrival.insert(n, (tx, size));
        self.by_sender.insert((sender, seq), n);
        self.ids.insert(id, n);
        self.bytes += size;
        Ok(id)
    }

    /// Up to `max` transactions for the next block: by arrival, but each
    /// sender's in sequence order so none is skipped for arriving early.
    pub fn candidates(&self, max: usize) -> Vec<SignedTransaction> {
        let mut out = Vec::new();
        let mut senders = BTreeSet::new();
        for (tx, _) in self.by_arrival.values() {
            if out.len() >= max {
                break;
            }
            let sender = tx.transaction.sender;
            if senders.insert(sender) {
                for n in self
                    .by_sender
                    .range((sender, 0)..=(sender, u64::MAX))
                    .map(|(_, n)| n)
                {
                    if out.len() >= max {
                        break;
                    }
                    out.push(self.by_arrival[n].0.clone());
                }
            }
        }
        out
    }

    pub fn remove(&mut self, id: &TransactionId) {
        if let Some(n) = self.ids.remove(id)
            && let Some((tx, size)) = self.by_arrival.remove(&n)
        {
            {
                self.by_sender
                    .remove(&(tx.transaction.sender, tx.transaction.sequence_number));
                self.bytes -= size;
            }
        }
    }
}

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

    /// The encoded bytes of every pending transaction together.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Every pending transaction, in arrival order.
    pub fn transactions(&self) -> impl Iterator<Item = &SignedTransaction> {
        self.by_arrival.values().map(|(tx, _)| tx)
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

    /// The sequence number `sender`'s next transaction should carry: the
    /// first after `committed` (the account's next by committed state) that
    /// no pending transaction of the sender holds, so that transactions
    /// signed in quick succession do not collide.
    pub fn next_sequence(&self, sender: &Address, committed: u64) -> u64 {
        let mut next = committed;
        for (&(_, seq), _) in self
            .by_sender
            .range((*sender, committed)..=(*sender, u64::MAX))
        {
            if seq != next {
                break;
            }
            next = next.saturating_add(1);
        }
        next
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

#[cfg(test)]
mod tests {
    use super::*;
    use molt_types::{ChainId, SecretKey, Transaction, TransactionPayload};

    fn tx(key: &SecretKey, seq: u64) -> SignedTransaction {
        Transaction {
            chain_id: ChainId::dev(),
            sender: key.address(),
            sequence_number: seq,
            gas_budget: 100_000,
            gas_price: 1,
            expiry_height: 10,
            payload: TransactionPayload::Transfer {
                to: Address::reserved(1),
                amount: 1,
            },
        }
        .sign(key)
    }

    fn pool(max_transactions: usize, max_bytes: usize, max_per_sender: usize) -> Mempool {
        Mempool::new(MempoolConfig {
            max_transactions,
            max_bytes,
            max_per_sender,
        })
    }

    #[test]
    fn limits_give_typed_rejections_and_keep_the_pool_unchanged() {
        let (a, b) = (SecretKey::from_seed([1; 32]), SecretKey::from_seed([2; 32]));
        let mut p = pool(2, 1_000, 1);
        let first = tx(&a, 0);
        p.insert(first.clone(), 100).unwrap();
        assert_eq!(
            p.insert(first.clone(), 100),
            Err(MempoolError::Duplicate(first.id()))
        );
        let mut same_seq = tx(&a, 0).transaction;
        same_seq.gas_price = 2;
        assert_eq!(
            p.insert(same_seq.sign(&a), 100),
            Err(MempoolError::SequenceTaken {
                sender: a.address(),
                sequence: 0
            })
        );
        assert_eq!(
            p.insert(tx(&a, 1), 100),
            Err(MempoolError::SenderLimit(a.address()))
        );
        assert_eq!(
            p.insert(tx(&b, 0), 901),
            Err(MempoolError::FullBytes(1_000))
        );
        p.insert(tx(&b, 0), 100).unwrap();
        let c = SecretKey::from_seed([3; 32]);
        assert_eq!(p.insert(tx(&c, 0), 100), Err(MempoolError::Full(2)));
        assert_eq!(p.len(), 2);
        p.remove(&first.id());
        assert!(!p.contains(&first.id()));
        p.insert(tx(&c, 0), 100).unwrap();
    }

    #[test]
    fn candidates_keep_each_senders_sequence_order() {
        let (a, b) = (SecretKey::from_seed([1; 32]), SecretKey::from_seed([2; 32]));
        let mut p = pool(100, 1 << 20, 10);
        // a's second transaction arrives first.
        p.insert(tx(&a, 1), 10).unwrap();
        p.insert(tx(&b, 0), 10).unwrap();
        p.insert(tx(&a, 0), 10).unwrap();
        let order: Vec<(Address, u64)> = p
            .candidates(10)
            .iter()
            .map(|t| (t.transaction.sender, t.transaction.sequence_number))
            .collect();
        assert_eq!(
            order,
            [(a.address(), 0), (a.address(), 1), (b.address(), 0)]
        );
        assert_eq!(p.candidates(1).len(), 1);
    }
}

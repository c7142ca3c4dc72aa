//! Signature checks off the execution's critical path: a bounded memory of
//! the signed transactions whose signature this node has already verified,
//! and parallel verification of a block's transactions before it executes.
//!
//! # The rule it keeps
//!
//! Whether a transaction's signature is valid is decided by one function,
//! [`SignedTransaction::verify`], and nothing here changes its verdict:
//!
//! - An entry is recorded only after `verify` returned `Ok` for exactly
//!   that transaction: its id (SHA3-256 of the unsigned transaction), its
//!   public key and its signature. A hit requires all three to be equal, so
//!   it is the same bytes `verify` accepted, and `verify` is a pure
//!   function of those bytes. A miss verifies as before.
//! - A transaction that fails verification is never recorded: its block
//!   executes it through `verify` and gets the same rejection on every
//!   node, however this node's cache was filled.
//!
//! So a block's validity, receipts and state root do not depend on what a
//! node has in its cache, on how many threads checked the block, or in
//! which order.
//!
//! # Where it is filled
//!
//! - Mempool admission ([`crate::Runtime::check_transaction`]): a
//!   transaction admitted here is not verified again when this node
//!   proposes it or verifies a peer's block holding it.
//! - Before a block executes ([`SignatureCache::verify_all`]): the
//!   transactions not in the cache are verified on up to
//!   [`MAX_THREADS`] threads at once (scoped threads, joined before
//!   execution starts), then executed in order on the cache's answers.
//!
//! Why not `ed25519_dalek::verify_batch`: batch verification checks the
//! cofactored equation, single verification the cofactorless one; a crafted
//! signature with a small-order component passes the first and fails the
//! second. A block's validity must not depend on how it was checked, so
//! batching would first need single verification under the same rule
//! (ZIP 215, as `ed25519-consensus` implements): a change of the chain's
//! signature rule, left for a deliberate decision
//! (docs/decisions/0151-signature-checks.md).
//!
//! # Bounds
//!
//! At most [`CAPACITY`] entries (about 130 bytes each); the oldest are
//! forgotten first. The cache lives in memory only: after a restart every
//! signature is verified again on first use.

use molt_types::{PublicKey, Signature, SignedTransaction, TransactionId};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

/// Most verified transactions remembered.
pub const CAPACITY: usize = 65_536;
/// Most threads a block's signature checks use.
pub const MAX_THREADS: usize = 8;
/// Fewer unverified transactions than this are checked on the calling
/// thread (starting a thread costs about as much as a few checks).
const PARALLEL_FROM: usize = 16;

#[derive(Debug, Default)]
struct Entries {
    by_id: BTreeMap<TransactionId, (PublicKey, Signature)>,
    order: VecDeque<TransactionId>,
}

/// The signed transactions whose signature verified (module doc).
#[derive(Debug, Default)]
pub struct SignatureCache {
    entries: Mutex<Entries>,
}

impl SignatureCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether exactly `tx` (id, key and signature) verified before.
    pub fn verified(&self, tx: &SignedTransaction) -> bool {
        self.verified_id(&tx.id(), tx)
    }

    fn verified_id(&self, id: &TransactionId, tx: &SignedTransaction) -> bool {
        self.lock()
            .by_id
            .get(id)
            .is_some_and(|(k, s)| *k == tx.public_key && *s == tx.signature)
    }

    /// Records that `tx` verified. Only for a transaction whose
    /// [`SignedTransaction::verify`] just returned `Ok`.
    pub(crate) fn record(&self, tx: &SignedTransaction) {
        self.record_id(tx.id(), tx);
    }

    fn record_id(&self, id: TransactionId, tx: &SignedTransaction) {
        let mut e = self.lock();
        if e.by_id.insert(id, (tx.public_key, tx.signature)).is_none() {
            e.order.push_back(id);
        }
        while e.order.len() > CAPACITY {
            if let Some(old) = e.order.pop_front() {
                e.by_id.remove(&old);
            }
        }
    }

    /// Verifies the signature of every transaction in `txs` not yet in the
    /// cache, on several threads when there are many, and records those that
    /// pass. Returns how many were verified now (the rest were hits).
    pub fn verify_all(&self, txs: &[SignedTransaction]) -> usize {
        let todo: Vec<(TransactionId, &SignedTransaction)> = txs
            .iter()
            .map(|tx| (tx.id(), tx))
            .filter(|(id, tx)| !self.verified_id(id, tx))
            .collect();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_THREADS);
        let passed: Vec<bool> = if todo.len() < PARALLEL_FROM || threads < 2 {
            todo.iter().map(|(_, tx)| tx.verify().is_ok()).collect()
        } else {
            let chunk = todo.len().div_ceil(threads);
            std::thread::scope(|scope| {
                let handles: Vec<_> = todo
                    .chunks(chunk)
                    .map(|part| {
                        let handle = scope.spawn(move || {
                            part.iter()
                                .map(|(_, tx)| tx.verify().is_ok())
                                .collect::<Vec<bool>>()
                        });
                        (part.len(), handle)
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|(n, h)| {
                        // A panic in `verify` is a bug; every place of the
                        // chunk counts as unverified (so the verdicts stay
                        // aligned with `todo`) and execution verifies it
                        // again.
                        h.join().unwrap_or_else(|_| vec![false; n])
                    })
                    .collect()
            })
        };
        for ((id, tx), ok) in todo.iter().zip(&passed) {
            if *ok {
                self.record_id(*id, tx);
            }
        }
        todo.len()
    }

    /// How many transactions are remembered.
    pub fn len(&self) -> usize {
        self.lock().order.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use molt_types::{Address, ChainId, SecretKey, Transaction, TransactionPayload};

    fn tx(i: u64) -> SignedTransaction {
        let key = SecretKey::from_seed([9u8; 32]);
        Transaction {
            chain_id: ChainId::new("test").unwrap(),
            sender: key.address(),
            sequence_number: i,
            gas_budget: 100_000,
            gas_price: 1,
            expiry_height: 100,
            payload: TransactionPayload::Transfer {
                to: Address::ZERO,
                amount: 1,
            },
        }
        .sign(&key)
    }

    #[test]
    fn only_what_verified_is_remembered_and_only_with_its_signature() {
        let cache = SignatureCache::default();
        let good: Vec<_> = (0..40).map(tx).collect();
        let mut bad = tx(99);
        bad.signature.0[0] ^= 1;
        let mut all = good.clone();
        all.push(bad.clone());
        assert_eq!(cache.verify_all(&all), 41);
        assert!(good.iter().all(|t| cache.verified(t)));
        assert!(!cache.verified(&bad), "a bad signature is never remembered");
        // The same transaction with another (valid-looking) signature is a
        // miss: a hit needs the same bytes.
        let mut other = good[0].clone();
        other.signature.0[5] ^= 1;
        assert!(!cache.verified(&other));
        // Second pass: only the bad one is checked again.
        assert_eq!(cache.verify_all(&all), 1);
        assert_eq!(cache.len(), 40);
    }

    #[test]
    fn the_oldest_are_forgotten_past_the_capacity() {
        let cache = SignatureCache::default();
        let first = tx(0);
        cache.record(&first);
        // Other ids with the same key and signature: signing 65,536
        // transactions would only slow the test.
        for i in 1..=CAPACITY as u64 {
            let mut id = [0u8; 32];
            id[..8].copy_from_slice(&i.to_le_bytes());
            cache.record_id(molt_types::Digest(id), &first);
        }
        assert_eq!(cache.len(), CAPACITY);
        assert!(!cache.verified(&first));
    }
}

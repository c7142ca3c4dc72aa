//! Determinism on independent stores: one seeded random workload
//! (transfers, publishes, calls, upgrades, failing and unincludable
//! transactions) run by two runtimes that each build every block, and a
//! third that only verifies the first one's blocks. Every height must give
//! identical block ids, state roots and receipts roots, and the verifier must
//! accept every block.
//!
//! `SEED=<u64>` replays a run; `BLOCKS=<n>` sets its length (default 200).

use super::Chain;
use molt_runtime::*;
use molt_types::*;

/// SplitMix64: a tiny seeded generator, enough for a workload.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn two_builders_and_a_verifier_agree_at_every_height() {
    let seed = env_u64("SEED", 0x6d6f_6c74);
    let blocks = env_u64("BLOCKS", 200);
    println!("determinism: SEED={seed} BLOCKS={blocks}");
    let mut rng = Rng(seed);
    let (a, b, v) = (Chain::new(), Chain::new(), Chain::new());
    let v1 = molt_build::example("counter_v1").unwrap();
    let v2 = molt_build::example("counter_v2").unwrap();
    let mut seqs = [0u64; 4];
    // Published counters (anyone may try to upgrade one; only its
    // publisher, who holds the cap, succeeds).
    let mut packages: Vec<Address> = Vec::new();
    let now = VerifyContext {
        now_ms: u64::MAX / 2,
    };

    for height in 1..=blocks {
        let mut txs = Vec::new();
        let mut planned = seqs;
        for _ in 0..rng.below(6) {
            let from = rng.below(4) as u8;
            let key = dev_key(from);
            let kind = rng.below(10);
            let payload = match kind {
                0..=3 => TransactionPayload::Transfer {
                    to: dev_key(rng.below(4) as u8).address(),
                    // Sometimes more than anyone has: a failed receipt.
                    amount: if rng.below(8) == 0 {
                        u64::MAX / 2
                    } else {
                        rng.below(10_000)
                    },
                },
                4 if packages.len() < 4 => TransactionPayload::Publish { module: v1.clone() },
                5..=7 if !packages.is_empty() => {
                    let pkg = packages[rng.below(packages.len() as u64) as usize];
                    let (function, args) = match rng.below(3) {
                        0 => ("increment", vec![]),
                        1 => ("add", rng.below(100).to_le_bytes().to_vec()),
                        _ => ("no_such_function", vec![]),
                    };
                    TransactionPayload::Call {
                        package: pkg,
                        function: function.into(),
                        args,
                        coin: 0,
                    }
                }
                8 if !packages.is_empty() => {
                    let pkg = packages[rng.below(packages.len() as u64) as usize];
                    TransactionPayload::Upgrade {
                        package: pkg,
                        module: v2.clone(),
                        ticket: None,
                    }
                }
                _ => TransactionPayload::Transfer {
                    to: dev_key(0).address(),
                    amount: 1,
                },
            };
            // One in twelve reuses an old sequence number: never includable.
            let seq = if rng.below(12) == 0 && planned[from as usize] > 0 {
                planned[from as usize] - 1
            } else {
                let s = planned[from as usize];
                planned[from as usize] += 1;
                s
            };
            txs.push(a.tx_with(&key, seq, 50_000_000, payload));
        }
        let ts = 1_000 * height;
        let pa = a.rt.produce_block(&txs, a.proposer, ts).unwrap();
        let pb = b.rt.produce_block(&txs, b.proposer, ts).unwrap();
        let (ha, hb) = (&pa.block.header, &pb.block.header);
        assert_eq!(
            ha.id(),
            hb.id(),
            "block id at height {height} (SEED={seed})"
        );
        assert_eq!(
            ha.state_root, hb.state_root,
            "state root at {height} (SEED={seed})"
        );
        assert_eq!(
            ha.receipts_root, hb.receipts_root,
            "receipts root at {height}"
        );
        assert_eq!(pa.receipts, pb.receipts);
        assert_eq!(
            v.rt.verify(now, &pa.block).unwrap(),
            Verdict::Valid,
            "the verifier rejects height {height} (SEED={seed})"
        );
        v.rt.finalize(&ha.id()).unwrap();
        assert_eq!(v.rt.latest_block().unwrap().header.id(), ha.id());

        // Learn what was included: sequence numbers and new packages.
        for tx in &pa.block.transactions {
            let sender = (0..4u8)
                .find(|i| dev_key(*i).address() == tx.transaction.sender)
                .unwrap();
            let s = &mut seqs[sender as usize];
            *s = (*s).max(tx.transaction.sequence_number + 1);
        }
        for r in &pa.receipts {
            for e in &r.events {
                if e.name == "PackagePublished" {
                    packages.push(e.emitter);
                }
            }
        }
    }
    assert_eq!(a.rt.height(), blocks);
    let statuses: Vec<bool> = (1..=blocks)
        .flat_map(|h| a.rt.block(h).unwrap().unwrap().transactions)
        .map(|t| a.rt.receipt(&t.id()).unwrap().unwrap().receipt.status == ExecutionStatus::Success)
        .collect();
    assert!(
        statuses.iter().any(|s| *s) && statuses.iter().any(|s| !*s),
        "the workload has successes and failures"
    );
    assert!(!packages.is_empty(), "the workload published packages");
}

/// Signatures checked at admission are not checked again (module
/// `signatures`), and no verdict depends on it: a node that admitted every
/// transaction and one that saw none build the same block, a third that saw
/// none verifies it, and a transaction whose signature was altered after
/// its original was admitted makes a block invalid on the warm node as on
/// the cold one.
#[test]
fn a_warm_signature_cache_changes_no_block_and_no_verdict() {
    let (warm, cold, verifier) = (Chain::new(), Chain::new(), Chain::new());
    let now = VerifyContext {
        now_ms: u64::MAX / 2,
    };
    let txs: Vec<SignedTransaction> = (0..40u64)
        .map(|i| {
            let key = dev_key((i % 4) as u8);
            warm.tx_with(
                &key,
                i / 4,
                50_000_000,
                TransactionPayload::Transfer {
                    to: dev_key(((i + 1) % 4) as u8).address(),
                    amount: 1 + i,
                },
            )
        })
        .collect();
    for tx in &txs {
        warm.rt.check_transaction(tx, tx.encode().len()).unwrap();
    }
    assert!(warm.rt.signatures().len() >= txs.len());
    assert!(cold.rt.signatures().is_empty());

    let ctx = |c: &Chain| ProposeContext {
        parent: c.rt.latest_block().unwrap().header.id(),
        proposer: c.proposer,
        timestamp_ms: 1_000,
    };
    let pw = warm.rt.propose(ctx(&warm), &txs).unwrap();
    let pc = cold.rt.propose(ctx(&cold), &txs).unwrap();
    assert_eq!(pw.block.header.id(), pc.block.header.id());
    assert_eq!(pw.block.transactions.len(), txs.len());
    assert_eq!(pw.receipts, pc.receipts);
    assert_eq!(verifier.rt.verify(now, &pw.block).unwrap(), Verdict::Valid);
    // Verifying filled the cold verifier's cache; a second look agrees.
    assert!(verifier.rt.signatures().len() >= txs.len());
    warm.rt.discard(&pw.block.header.id());
    cold.rt.discard(&pc.block.header.id());

    // The same transactions with one signature altered, roots recomputed:
    // a faulty leader's block.
    let mut block = pw.block.clone();
    block.transactions[7].signature.0[0] ^= 0x01;
    let ids: Vec<_> = block.transactions.iter().map(|t| t.id()).collect();
    block.header.transactions_root = transactions_root(&ids);
    let on_warm = warm.rt.verify(now, &block).unwrap();
    let on_cold = cold.rt.verify(now, &block).unwrap();
    assert!(matches!(on_warm, Verdict::Invalid(_)), "{on_warm:?}");
    assert_eq!(on_warm, on_cold);
}

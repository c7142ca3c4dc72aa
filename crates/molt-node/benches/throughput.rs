//! Throughput of the dev chain, printed in one run:
//!
//! 1. the runtime alone: blocks of 1,000 signed transfers (signature checks,
//!    execution and the durable commit included), for native coin transfers
//!    and for `token` program transfers;
//! 2. the same native-transfer workload submitted over JSON-RPC to a running
//!    dev node, with p50 and p99 latency from submission to inclusion;
//! 3. the number of blocks from submitting a program upgrade to the first
//!    call served by the new version on a running dev node;
//! 4. the state machine's cost per block of 1,000 native transfers: the
//!    proposer's `propose` and an independent verifier's `verify` of the same
//!    block (each on its own store), and `finalize`.
//!
//! Next to the runtime's token-transfer rate it prints the single-core
//! ed25519 verification rate of the same kind of transactions, measured in
//! the same run, and their ratio (issue 15: the goal is at least 0.5x).
//!
//! Run: `cargo bench -p molt-node --bench throughput` (release).
#![allow(clippy::float_arithmetic)] // figures for people, not state logic

use molt_node::{Node, NodeConfig};
use molt_runtime::{Genesis, Runtime, dev_validator_key};
use molt_store::StoreConfig;
use molt_types::{Address, ChainId, SecretKey, SignedTransaction, Transaction, TransactionPayload};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const BLOCK: usize = 1_000;
const BLOCKS: usize = 5;

fn key(i: usize) -> SecretKey {
    let mut seed = [7u8; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    SecretKey::from_seed(seed)
}

fn genesis(senders: usize) -> Genesis {
    let mut g = Genesis::dev();
    g.accounts
        .extend((0..senders).map(|i| (key(i).address(), 1_000_000_000_000)));
    g
}

fn signed(k: &SecretKey, seq: u64, payload: TransactionPayload) -> SignedTransaction {
    Transaction {
        chain_id: ChainId::dev(),
        sender: k.address(),
        sequence_number: seq,
        gas_budget: 5_000_000,
        gas_price: 1,
        expiry_height: 1_000_000,
        payload,
    }
    .sign(k)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Blocks of BLOCK transfers, one per sender per block; returns tx/s per block.
fn runtime_alone(
    payload: impl Fn(usize) -> TransactionPayload,
    setup: impl Fn(&Runtime),
) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::open(dir.path(), &genesis(BLOCK), StoreConfig::default()).unwrap();
    setup(&rt);
    let proposer = dev_validator_key().address();
    let mut rates = Vec::new();
    for b in 0..BLOCKS {
        let txs: Vec<SignedTransaction> = (0..BLOCK)
            .map(|i| {
                let k = key(i);
                let seq = rt.account(&k.address()).unwrap().sequence_number;
                signed(&k, seq, payload(i))
            })
            .collect();
        let start = Instant::now();
        let produced = rt
            .produce_block(&txs, proposer, 1_000 * (b as u64 + 10))
            .unwrap();
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(
            produced.receipts.len(),
            BLOCK,
            "{:?}",
            produced.rejected.first()
        );
        assert!(
            produced
                .receipts
                .iter()
                .all(|r| r.status == molt_types::ExecutionStatus::Success),
            "{:?}",
            produced.receipts[0]
        );
        rates.push(BLOCK as f64 / secs);
    }
    rates
}

fn rpc(url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let v: Value = ureq::post(url)
        .send_json(body)
        .unwrap()
        .into_json()
        .unwrap();
    assert!(v.get("error").is_none(), "{v}");
    v["result"].clone()
}

fn over_rpc() -> (f64, Duration, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut config = NodeConfig::dev(dir.path().to_path_buf(), 0, Duration::from_millis(100));
    config.genesis = genesis(BLOCK);
    let node = rt.block_on(Node::start(config)).unwrap();
    let url = format!("http://{}", node.rpc_addr);
    let txs: Vec<(String, String)> = (0..BLOCK)
        .map(|i| {
            let t = signed(
                &key(i),
                0,
                TransactionPayload::Transfer {
                    to: Address::reserved(0x5000 + i as u64),
                    amount: 1,
                },
            );
            (t.id().to_string(), format!("0x{}", hex::encode(t.encode())))
        })
        .collect();
    // A watcher records when each block is first seen.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (url, stop) = (url.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut seen: Vec<(Instant, Vec<String>)> = Vec::new();
            let mut next = rpc(&url, "molt_getBlock", json!(["latest"]))["height"]
                .as_u64()
                .unwrap()
                + 1;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let latest = rpc(&url, "molt_getBlock", json!(["latest"]))["height"]
                    .as_u64()
                    .unwrap();
                let now = Instant::now();
                while next <= latest {
                    let b = rpc(&url, "molt_getBlock", json!([next]));
                    let ids = b["transactions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|t| t.as_str().unwrap().to_string())
                        .collect();
                    seen.push((now, ids));
                    next += 1;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            seen
        })
    };
    let start = Instant::now();
    let mut submitted = Vec::new();
    for (id, hex) in &txs {
        submitted.push((id.clone(), Instant::now()));
        rpc(&url, "molt_submitTransaction", json!([hex]));
    }
    let included = |id: &str, seen: &[(Instant, Vec<String>)]| {
        seen.iter()
            .find(|(_, ids)| ids.iter().any(|x| x == id))
            .map(|(t, _)| *t)
    };
    // Wait until the last transaction is included.
    let last = &txs.last().unwrap().0;
    loop {
        let r: Value = ureq::post(&url)
            .send_json(json!({"jsonrpc": "2.0", "id": 1, "method": "molt_getTransaction", "params": [last]}))
            .unwrap()
            .into_json()
            .unwrap();
        if r["result"]["status"] == "included" {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(50));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = watcher.join().unwrap();
    let mut latencies: Vec<Duration> = submitted
        .iter()
        .map(|(id, t)| included(id, &seen).expect("included") - *t)
        .collect();
    let end = submitted
        .iter()
        .filter_map(|(id, _)| included(id, &seen))
        .max()
        .unwrap();
    latencies.sort();
    let p = |q: usize| latencies[(latencies.len() * q / 100).min(latencies.len() - 1)];
    let tps = BLOCK as f64 / (end - start).as_secs_f64();
    rt.block_on(node.stop()).unwrap();
    (tps, p(50), p(99))
}

fn wait_included(url: &str, id: &str) -> Value {
    loop {
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": "molt_getTransaction", "params": [id]});
        let r: Value = ureq::post(url)
            .send_json(body)
            .unwrap()
            .into_json()
            .unwrap();
        if r["result"]["status"] == "included" {
            return r["result"]["receipt"].clone();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn submit(url: &str, t: &SignedTransaction) -> String {
    rpc(
        url,
        "molt_submitTransaction",
        json!([format!("0x{}", hex::encode(t.encode()))]),
    );
    t.id().to_string()
}

/// Blocks from submitting an upgrade to the first call that only the new
/// version has (`counter_v2`'s `reset`), submitted right behind it.
fn upgrade_to_first_call() -> (u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = NodeConfig::dev(dir.path().to_path_buf(), 0, Duration::from_millis(100));
    let node = rt.block_on(Node::start(config)).unwrap();
    let url = format!("http://{}", node.rpc_addr);
    let dev = molt_runtime::dev_key(0);
    let publish = signed(
        &dev,
        0,
        TransactionPayload::Publish {
            module: molt_build::example("counter_v1").unwrap(),
        },
    );
    let receipt = wait_included(&url, &submit(&url, &publish));
    let pkg: Address = serde_json::from_value(receipt["events"][0]["emitter"].clone()).unwrap();
    let module = molt_build::example("counter_v2").unwrap();
    let upgrade = signed(
        &dev,
        1,
        TransactionPayload::Upgrade {
            package: pkg,
            module,
            ticket: None,
        },
    );
    let reset = signed(
        &dev,
        2,
        TransactionPayload::Call {
            package: pkg,
            function: "reset".into(),
            args: vec![],
            coin: 0,
        },
    );
    let submitted_at = rpc(&url, "molt_chainInfo", json!([]))["height"]
        .as_u64()
        .unwrap();
    let up = submit(&url, &upgrade);
    let call = submit(&url, &reset);
    let up_receipt = wait_included(&url, &up);
    let call_receipt = wait_included(&url, &call);
    assert_eq!(up_receipt["status"], "success", "{up_receipt}");
    assert_eq!(call_receipt["status"], "success", "{call_receipt}");
    rt.block_on(node.stop()).unwrap();
    let served = call_receipt["height"].as_u64().unwrap();
    (
        served - submitted_at,
        served - up_receipt["height"].as_u64().unwrap(),
    )
}

/// Milliseconds per block of BLOCK transfers: (propose, verify, finalize).
fn propose_and_verify() -> (f64, f64, f64) {
    use molt_runtime::{ProposeContext, StateMachine, Verdict, VerifyContext};
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let leader = Runtime::open(d1.path(), &genesis(BLOCK), StoreConfig::default()).unwrap();
    let verifier = Runtime::open(d2.path(), &genesis(BLOCK), StoreConfig::default()).unwrap();
    let proposer = dev_validator_key().address();
    let (mut p, mut v, mut f) = (Vec::new(), Vec::new(), Vec::new());
    for b in 0..BLOCKS {
        let txs: Vec<SignedTransaction> = (0..BLOCK)
            .map(|i| {
                let payload = TransactionPayload::Transfer {
                    to: Address::reserved(0x1000 + i as u64),
                    amount: 1,
                };
                signed(&key(i), b as u64, payload)
            })
            .collect();
        let parent = leader.latest_block().unwrap().header.id();
        let ctx = ProposeContext {
            parent,
            proposer,
            timestamp_ms: 1_000 * (b as u64 + 10),
        };
        let start = Instant::now();
        let proposal = leader.propose(ctx, &txs).unwrap();
        p.push(start.elapsed().as_secs_f64() * 1e3);
        assert_eq!(proposal.block.transactions.len(), BLOCK);
        let start = Instant::now();
        let verdict = verifier
            .verify(
                VerifyContext {
                    now_ms: u64::MAX / 2,
                },
                &proposal.block,
            )
            .unwrap();
        v.push(start.elapsed().as_secs_f64() * 1e3);
        assert_eq!(verdict, Verdict::Valid);
        let id = proposal.block.header.id();
        let start = Instant::now();
        leader.finalize(&id).unwrap();
        f.push(start.elapsed().as_secs_f64() * 1e3);
        verifier.finalize(&id).unwrap();
    }
    (median(p), median(v), median(f))
}

/// Signed transactions checked one by one on this thread, per second
/// (median of five rounds of `BLOCK`).
fn single_core_verify_rate() -> f64 {
    let txs: Vec<_> = (0..BLOCK)
        .map(|i| {
            signed(
                &key(i),
                1,
                TransactionPayload::Transfer {
                    to: Address::reserved(0x3000),
                    amount: 1,
                },
            )
        })
        .collect();
    let rates = (0..5)
        .map(|_| {
            let start = Instant::now();
            for tx in &txs {
                tx.verify().unwrap();
            }
            BLOCK as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    median(rates)
}

fn main() {
    let (propose_ms, verify_ms, finalize_ms) = propose_and_verify();
    println!(
        "state machine, {BLOCK} transfers per block: propose {propose_ms:.1} ms, verify (independent store) {verify_ms:.1} ms ({:.2}x propose), finalize {finalize_ms:.1} ms",
        verify_ms / propose_ms
    );
    println!(
        "molt dev chain throughput ({BLOCK} transfers per block, {BLOCKS} blocks, median block)"
    );
    let native = runtime_alone(
        |i| TransactionPayload::Transfer {
            to: Address::reserved(0x1000 + i as u64),
            amount: 1,
        },
        |_| (),
    );
    println!(
        "runtime alone, native coin transfers : {:>9.0} tx/s",
        median(native.clone())
    );

    let token = molt_build::example("token").unwrap();
    let token_pkg = std::sync::OnceLock::new();
    let token_rates = runtime_alone(
        |i| {
            let args = molt_types::encode(&(Address::reserved(0x2000 + i as u64), 1u128));
            TransactionPayload::Call {
                package: *token_pkg.get().unwrap(),
                function: "transfer".into(),
                args,
                coin: 0,
            }
        },
        |rt| {
            // Publish the token from sender 0 and mint to every sender.
            let admin = key(0);
            let proposer = dev_validator_key().address();
            let p = rt
                .produce_block(
                    &[signed(
                        &admin,
                        0,
                        TransactionPayload::Publish {
                            module: token.clone(),
                        },
                    )],
                    proposer,
                    1,
                )
                .unwrap();
            let pkg = p.receipts[0]
                .events
                .iter()
                .find(|e| e.name == "PackagePublished")
                .unwrap()
                .emitter;
            token_pkg.set(pkg).unwrap();
            let mints: Vec<_> = (0..BLOCK)
                .map(|i| {
                    signed(
                        &admin,
                        1 + i as u64,
                        TransactionPayload::Call {
                            package: pkg,
                            function: "mint".into(),
                            args: molt_types::encode(&(key(i).address(), 1_000u128)),
                            coin: 0,
                        },
                    )
                })
                .collect();
            let p = rt.produce_block(&mints, proposer, 2).unwrap();
            assert!(
                p.receipts
                    .iter()
                    .all(|r| r.status == molt_types::ExecutionStatus::Success),
                "{:?}",
                p.receipts[0]
            );
        },
    );
    println!(
        "runtime alone, token program transfers: {:>9.0} tx/s",
        median(token_rates.clone())
    );
    let token_rate = median(token_rates.clone());
    println!(
        "ratio native / token                    : {:>9.2}x",
        median(native) / median(token_rates)
    );
    let verify_rate = single_core_verify_rate();
    println!(
        "single-core signature checks           : {verify_rate:>9.0} tx/s; token transfers / checks = {:.2}x",
        token_rate / verify_rate
    );

    let (tps, p50, p99) = over_rpc();
    println!("over JSON-RPC to a dev node (100 ms blocks), native transfers:");
    println!("  throughput submission->inclusion     : {tps:>9.0} tx/s");
    println!(
        "  latency p50 / p99                    : {:>6.0} ms / {:.0} ms",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    let (blocks, after_upgrade) = upgrade_to_first_call();
    println!("program upgrade on a dev node (counter v1 -> v2, 100 ms blocks):");
    println!("  blocks from submitting the upgrade to the first call served by v2: {blocks}");
    println!("  (the call ran {after_upgrade} block(s) after the upgrade's own block)");
}

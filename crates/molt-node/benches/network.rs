//! The consensus engine's figures, printed in one run, for 4 validators on
//! loopback (in-process nodes, real TCP between them) and for the
//! one-validator dev chain:
//!
//! - finalized transactions per second for 2,000 native transfers submitted
//!   over JSON-RPC (spread over the nodes), with p50 and p99 from
//!   submission to finality as seen by node 0;
//! - blocks per second with an empty mempool, at a 1 ms block interval
//!   (the engine's own pace: voting, not the interval, limits it) and at
//!   the default 500 ms.
//!
//! Run: `cargo bench -p molt-node --bench network` (release).
#![allow(clippy::float_arithmetic)] // figures for people, not state logic

use molt_node::{NetworkSettings, Node, NodeConfig, NodeHandle, Peer, Role};
use molt_runtime::{Genesis, Validator};
use molt_types::{Address, ChainId, SecretKey, Transaction, TransactionId, TransactionPayload};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

const TRANSFERS: usize = 2_000;

fn key(i: usize) -> SecretKey {
    let mut seed = [9u8; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    SecretKey::from_seed(seed)
}

fn free() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn start(
    rt: &tokio::runtime::Runtime,
    n: usize,
    block_ms: u64,
) -> (Vec<NodeHandle>, Vec<tempfile::TempDir>) {
    let validators: Vec<SecretKey> = (0..n).map(|i| key(1_000_000 + i)).collect();
    let mut genesis = Genesis::dev();
    genesis.validators = validators
        .iter()
        .map(|k| Validator {
            address: k.address(),
            public_key: k.public_key(),
            voting_power: 1,
        })
        .collect();
    genesis
        .accounts
        .extend((0..TRANSFERS).map(|i| (key(i).address(), 1_000_000_000_000)));
    let addrs: Vec<SocketAddr> = (0..n).map(|_| free()).collect();
    let mut dirs = Vec::new();
    let mut nodes = Vec::new();
    for (i, k) in validators.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let mut config =
            NodeConfig::dev(dir.path().to_path_buf(), 0, Duration::from_millis(block_ms));
        config.genesis = genesis.clone();
        config.network = Some(NetworkSettings {
            key: k.clone(),
            role: Role::Validator,
            listen: addrs[i],
            peers: validators
                .iter()
                .zip(&addrs)
                .filter(|(o, _)| o.public_key() != k.public_key())
                .map(|(o, a)| Peer {
                    public_key: o.public_key(),
                    address: *a,
                })
                .collect(),
            leader_timeout: None,
        });
        nodes.push(rt.block_on(Node::start(config)).unwrap());
        dirs.push(dir);
    }
    (nodes, dirs)
}

fn stop(rt: &tokio::runtime::Runtime, nodes: Vec<NodeHandle>) {
    for n in nodes {
        rt.block_on(n.stop()).unwrap();
    }
}

fn rpc(url: &str, method: &str, params: Value) -> Value {
    let r: Value = ureq::post(url)
        .send_json(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .unwrap()
        .into_json()
        .unwrap();
    assert!(r.get("error").is_none(), "{method}: {r}");
    r["result"].clone()
}

fn transfers(n: usize, block_ms: u64) -> (f64, Duration, Duration) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (nodes, _dirs) = start(&rt, n, block_ms);
    let urls: Vec<String> = nodes
        .iter()
        .map(|x| format!("http://{}", x.rpc_addr))
        .collect();
    while nodes[0].shared.runtime.height() < 2 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let txs: Vec<(TransactionId, String)> = (0..TRANSFERS)
        .map(|i| {
            let k = key(i);
            let t = Transaction {
                chain_id: ChainId::dev(),
                sender: k.address(),
                sequence_number: 0,
                gas_budget: 50_000_000,
                gas_price: 1,
                expiry_height: 1_000_000,
                payload: TransactionPayload::Transfer {
                    to: Address::reserved(0x6000),
                    amount: 1,
                },
            }
            .sign(&k);
            (t.id(), format!("0x{}", hex::encode(t.encode())))
        })
        .collect();
    // Node 0's finalized blocks, observed from its runtime.
    let shared = std::sync::Arc::clone(&nodes[0].shared);
    let watcher = std::thread::spawn(move || {
        let mut seen: BTreeMap<TransactionId, Instant> = BTreeMap::new();
        let mut next = shared.runtime.height() + 1;
        let deadline = Instant::now() + Duration::from_secs(300);
        while seen.len() < TRANSFERS && Instant::now() < deadline {
            let now = Instant::now();
            while next <= shared.runtime.height() {
                if let Some(b) = shared.runtime.block(next).unwrap() {
                    for t in &b.transactions {
                        seen.insert(t.id(), now);
                    }
                }
                next += 1;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        seen
    });
    let begin = Instant::now();
    let mut sent = Vec::new();
    for (i, (id, hex)) in txs.iter().enumerate() {
        sent.push((*id, Instant::now()));
        rpc(
            &urls[i % urls.len()],
            "molt_submitTransaction",
            json!([hex]),
        );
    }
    let seen = watcher.join().unwrap();
    assert_eq!(seen.len(), TRANSFERS, "not every transfer was finalized");
    let mut lat: Vec<Duration> = sent.iter().map(|(id, t)| seen[id] - *t).collect();
    lat.sort();
    let end = seen.values().max().copied().unwrap();
    let p = |q: usize| lat[(lat.len() * q / 100).min(lat.len() - 1)];
    stop(&rt, nodes);
    (TRANSFERS as f64 / (end - begin).as_secs_f64(), p(50), p(99))
}

fn empty_blocks(n: usize, block_ms: u64, window: Duration) -> f64 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (nodes, _dirs) = start(&rt, n, block_ms);
    while nodes[0].shared.runtime.height() < 2 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let h0 = nodes[0].shared.runtime.height();
    let t0 = Instant::now();
    std::thread::sleep(window);
    let blocks = nodes[0].shared.runtime.height() - h0;
    let rate = blocks as f64 / t0.elapsed().as_secs_f64();
    stop(&rt, nodes);
    rate
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent: stay quick there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("network bench: run with `cargo bench -p molt-node --bench network`");
        return;
    }
    for (label, n) in [
        ("4 validators on loopback", 4usize),
        ("dev chain (1 validator)", 1),
    ] {
        let (tps, p50, p99) = transfers(n, 100);
        let fast = empty_blocks(n, 1, Duration::from_secs(5));
        let paced = empty_blocks(n, 500, Duration::from_secs(5));
        println!("{label}:");
        println!("  finalized transfers / s (100 ms blocks) : {tps:>8.0}");
        println!(
            "  submission to finality p50 / p99        : {:>6.0} ms / {:.0} ms",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
        println!("  empty blocks / s, 1 ms interval         : {fast:>8.1}");
        println!("  empty blocks / s, 500 ms interval       : {paced:>8.2}");
    }
}

//! Block cadence of a running dev node before and during a framework
//! upgrade by governance, printed in one run (DESIGN.md 3: "no node
//! restarts, no block is missed").
//!
//! One dev node (`NodeConfig::dev`: the one-validator network on the
//! consensus engine) at the dev default block time of 500 ms (`molt node
//! --dev`'s `--block-time`), started once and never restarted: the admin
//! endpoint's "first block committed by this process" is the same at the
//! end as at the start. A light load runs throughout: one native transfer
//! every 100 ms from dev account 3 (about five per block).
//!
//! - **before**: 30 blocks of steady production with that load only (the
//!   intervals into blocks `a+1..=a+30`, `a` a few blocks after start);
//! - **during**: a chained two-step payload driven with signed transactions
//!   over JSON-RPC (propose by dev account 0, the dev validator's yes vote,
//!   the resolve of each step, each submitted once the previous one is
//!   included). Step 1 upgrades `system` (`0x1`) from release 1 to
//!   `programs/framework_system_v2` (adds `greeting`) and ends with
//!   `NextStep(sha3(step 2))`; step 2 upgrades `system` again, to
//!   `programs/framework_system_v3` (adds `farewell`), and ends the epoch
//!   (`EndEpoch`). Both are additions only, so the checker's `compatible`
//!   policy admits them. The window is the intervals into blocks
//!   `s+1..=r+1`: `s` is the latest committed height when the propose
//!   transaction is submitted, `r` the height of the last resolve's block,
//!   `r+1` the block that starts the new epoch.
//!
//! Intervals come from the node's blocks, never from this loop's clock:
//! block `h`'s interval is `timestamp_ms(h) - timestamp_ms(h-1)`, read with
//! `molt_getBlock` for every height of a window (each block's parent is the
//! previous one: no gaps). p50 is the nearest-rank median (integers), max
//! the largest interval. With `T` the target block time read from the
//! node's config (and checked against its admin status), an interval `i`
//! misses `floor(i / T) - 1` blocks (0 for `T <= i < 2T`): the slots in
//! which the node should have made a block and did not. Blocks missed is
//! that sum over the window; the target is 0.
//!
//! Run: `cargo bench -p molt-node --bench framework_upgrade` (release).
#![allow(clippy::float_arithmetic)] // the ratio is printed for people, not state logic

use molt_node::{Node, NodeConfig, admin};
use molt_payload::{Action, Payload};
use molt_rpc_types::{
    BlockRef, BlockView, ChainInfo, GetBlock, GetChainInfo, GetPackage, GetTransaction,
    ReceiptView, Request, StatusView, SubmitTransaction, TransactionLookup, View,
};
use molt_runtime::{GOVERNANCE_PACKAGE, SYSTEM_PACKAGE, dev_key, dev_validator_key};
use molt_types::{
    Address, ChainId, SecretKey, SignedTransaction, Transaction, TransactionPayload, codec,
    sha3_256,
};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The dev default (`molt node --dev --block-time`, and `block_time_ms` in
/// a node file).
const BLOCK_TIME: Duration = Duration::from_millis(500);
/// Blocks of steady production measured before the upgrade.
const BEFORE_BLOCKS: u64 = 30;
/// Blocks after start that are not measured (the engine settling).
const WARM_UP_BLOCKS: u64 = 3;
/// One load transfer per this period.
const LOAD_PERIOD: Duration = Duration::from_millis(100);
/// The longest wait for any one step.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

fn call<R: Request>(url: &str, r: &R) -> Value {
    let body =
        json!({"jsonrpc": "2.0", "id": 1, "method": R::METHOD.name(), "params": r.to_positional()});
    ureq::post(url)
        .send_json(body)
        .unwrap()
        .into_json()
        .unwrap()
}

fn request<R: Request>(url: &str, r: &R) -> R::Result {
    let v = call(url, r);
    assert!(v.get("error").is_none(), "{}: {v}", R::METHOD);
    serde_json::from_value(v["result"].clone())
        .unwrap_or_else(|e| panic!("{}: {e}: {v}", R::METHOD))
}

fn signed(key: &SecretKey, seq: u64, payload: TransactionPayload) -> SignedTransaction {
    Transaction {
        chain_id: ChainId::dev(),
        sender: key.address(),
        sequence_number: seq,
        gas_budget: 100_000_000,
        gas_price: 1,
        expiry_height: 1_000_000,
        payload,
    }
    .sign(key)
}

fn governance(key: &SecretKey, seq: u64, function: &str, args: Vec<u8>) -> SignedTransaction {
    signed(
        key,
        seq,
        TransactionPayload::Call {
            package: GOVERNANCE_PACKAGE,
            function: function.into(),
            args,
            // Governance's genesis track: propose attaches the deposit.
            coin: if function == "propose" { 1_000_000 } else { 0 },
        },
    )
}

fn submit(url: &str, t: &SignedTransaction) {
    request(
        url,
        &SubmitTransaction {
            transaction: t.encode(),
        },
    );
}

/// Submits `t` and waits for its receipt, which must be a success.
fn included(url: &str, t: &SignedTransaction) -> ReceiptView {
    submit(url, t);
    let start = Instant::now();
    loop {
        if let TransactionLookup::Included { receipt, .. } =
            request(url, &GetTransaction { id: t.id() })
        {
            assert_eq!(receipt.status, StatusView::Success, "{receipt:?}");
            return receipt;
        }
        assert!(start.elapsed() < STEP_TIMEOUT, "not included");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn latest_height(url: &str) -> u64 {
    request::<GetChainInfo>(url, &GetChainInfo).height
}

fn wait_for_height(url: &str, height: u64) {
    let start = Instant::now();
    while latest_height(url) < height {
        assert!(
            start.elapsed() < STEP_TIMEOUT,
            "height {height} not reached"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn view_u64(url: &str, package: Address, function: &str, args: Vec<u8>) -> u64 {
    let r = request(
        url,
        &View {
            package,
            function: function.into(),
            args,
            gas: None,
        },
    );
    codec::decode("u64", &r.result.0, 8).unwrap()
}

/// Blocks `from..=to`, each checked to be the child of the one before.
fn blocks(url: &str, from: u64, to: u64) -> Vec<BlockView> {
    let out: Vec<BlockView> = (from..=to)
        .map(|h| {
            request(
                url,
                &GetBlock {
                    block: BlockRef::Height(h),
                    full: false,
                },
            )
        })
        .collect();
    for (h, pair) in (from + 1..).zip(out.windows(2)) {
        assert_eq!(pair[1].height, h);
        assert_eq!(pair[1].parent, pair[0].id, "block {h}'s parent");
    }
    out
}

/// The block intervals and their figures, in milliseconds.
struct Cadence {
    first: u64,
    last: u64,
    intervals: Vec<u64>,
    p50: u64,
    max: u64,
    missed: u64,
    transactions: usize,
}

/// The intervals into blocks `from+1..=to`, from the blocks' timestamps.
fn cadence(url: &str, from: u64, to: u64, block_time_ms: u64) -> Cadence {
    let b = blocks(url, from, to);
    let intervals: Vec<u64> = b
        .windows(2)
        .map(|p| p[1].timestamp_ms.saturating_sub(p[0].timestamp_ms))
        .collect();
    let mut sorted = intervals.clone();
    sorted.sort_unstable();
    // Nearest rank: the ceil(n / 2)-th smallest.
    let p50 = sorted[sorted.len().div_ceil(2) - 1];
    let missed = intervals
        .iter()
        .map(|i| (i / block_time_ms).saturating_sub(1))
        .sum();
    Cadence {
        first: from + 1,
        last: to,
        p50,
        max: *sorted.last().unwrap(),
        missed,
        transactions: b[1..].iter().map(|x| x.transactions.len()).sum(),
        intervals,
    }
}

fn print(name: &str, c: &Cadence) {
    let n = c.intervals.len();
    println!(
        "{name}: blocks {}..={} ({n} intervals), p50 {} ms, max {} ms, blocks missed {} (target 0), {} transactions ({}.{} per block, truncated)",
        c.first,
        c.last,
        c.p50,
        c.max,
        c.missed,
        c.transactions,
        c.transactions / n,
        c.transactions * 10 / n % 10,
    );
    println!("  intervals (ms): {:?}", c.intervals);
}

fn main() {
    // Build the fixtures and the payloads before the node starts: no
    // compiler competes with the node while it is measured.
    let v2 = molt_build::example("framework_system_v2").unwrap();
    let v3 = molt_build::example("framework_system_v3").unwrap();
    let v1 = molt_runtime::framework_packages()
        .into_iter()
        .find(|p| p.address == SYSTEM_PACKAGE)
        .map(|p| p.module)
        .unwrap();
    assert!(v1 != v2 && v2 != v3, "each step must change the module");
    let step2 = Payload::new(vec![
        Action::UpgradePackage {
            package: SYSTEM_PACKAGE,
            module: v3.clone(),
        },
        Action::EndEpoch,
    ])
    .encode();
    let step1 = Payload::new(vec![
        Action::UpgradePackage {
            package: SYSTEM_PACKAGE,
            module: v2.clone(),
        },
        Action::NextStep {
            hash: sha3_256(&step2),
        },
    ])
    .encode();

    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = NodeConfig::dev(dir.path().to_path_buf(), 0, BLOCK_TIME);
    let block_time_ms = u64::try_from(config.block_time.as_millis()).unwrap();
    let socket = config
        .admin_socket
        .clone()
        .expect("the dev node's admin socket");
    let node = rt.block_on(Node::start(config)).unwrap();
    let url = format!("http://{}", node.rpc_addr);
    wait_for_height(&url, 1);
    let status_at_start = admin::query_status(&socket, Duration::from_secs(2)).unwrap();
    assert_eq!(status_at_start.block_time_ms, block_time_ms);
    let first_block = status_at_start.first_block.clone();

    // The light load, throughout both windows.
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let load = {
        let (url, stop, sent) = (url.clone(), Arc::clone(&stop), Arc::clone(&sent));
        std::thread::spawn(move || {
            let key = dev_key(3);
            let mut seq = 0;
            while !stop.load(Ordering::Relaxed) {
                let t = signed(
                    &key,
                    seq,
                    TransactionPayload::Transfer {
                        to: Address::reserved(0x7000),
                        amount: 1,
                    },
                );
                submit(&url, &t);
                seq += 1;
                sent.store(seq, Ordering::Relaxed);
                std::thread::sleep(LOAD_PERIOD);
            }
        })
    };

    // (a) Before: steady production.
    wait_for_height(&url, WARM_UP_BLOCKS);
    let a = latest_height(&url);
    wait_for_height(&url, a + BEFORE_BLOCKS);
    let before = cadence(&url, a, a + BEFORE_BLOCKS, block_time_ms);

    // (b) During: propose, vote, resolve step 1, resolve step 2.
    let proposer = dev_key(0);
    let validator = dev_validator_key();
    let id = view_u64(&url, GOVERNANCE_PACKAGE, "next_proposal_id", vec![]);
    let epoch_before = request::<GetChainInfo>(&url, &GetChainInfo).epoch;
    let propose = governance(
        &proposer,
        0,
        "propose",
        codec::encode(&(sha3_256(&step1), String::from("bench"), sha3_256(b"bench"))),
    );
    let s = latest_height(&url);
    let proposed = included(&url, &propose);
    let voted = included(
        &url,
        &governance(&validator, 0, "vote", codec::encode(&(id, true))),
    );
    let resolved1 = included(
        &url,
        &governance(&proposer, 1, "resolve", codec::encode(&(id, step1.clone()))),
    );
    assert_eq!(
        view_u64(&url, SYSTEM_PACKAGE, "framework_version", vec![]),
        2
    );
    let resolved2 = included(
        &url,
        &governance(&proposer, 2, "resolve", codec::encode(&(id, step2.clone()))),
    );
    let r = resolved2.height.unwrap();
    wait_for_height(&url, r + 1);
    let during = cadence(&url, s, r + 1, block_time_ms);

    stop.store(true, Ordering::Relaxed);
    load.join().unwrap();

    // The upgrade took effect, on the same node process.
    assert_eq!(
        view_u64(&url, SYSTEM_PACKAGE, "framework_version", vec![]),
        3
    );
    assert_eq!(view_u64(&url, SYSTEM_PACKAGE, "farewell", vec![]), 43);
    let system = request(&url, &GetPackage { id: SYSTEM_PACKAGE });
    let latest = system.latest_version().unwrap();
    assert_eq!((latest.version, latest.checksum), (3, sha3_256(&v3)));
    let ends = blocks(&url, r, r + 1);
    assert_eq!(
        ends[1].epoch,
        ends[0].epoch + 1,
        "block {} starts an epoch",
        r + 1
    );
    let chain: ChainInfo = request(&url, &GetChainInfo);
    let status_at_end = admin::query_status(&socket, Duration::from_secs(2)).unwrap();
    assert_eq!(status_at_end.first_block, first_block, "the same process");
    rt.block_on(node.stop()).unwrap();

    println!(
        "block cadence of a dev node during a framework upgrade (block time {block_time_ms} ms from the node's config, admin status says {} ms)",
        status_at_end.block_time_ms
    );
    println!(
        "load: one native transfer every {} ms from dev account 3 throughout ({} sent)",
        LOAD_PERIOD.as_millis(),
        sent.load(Ordering::Relaxed)
    );
    println!(
        "blocks missed: for each interval i, floor(i / {block_time_ms} ms) - 1, summed over the window; target 0"
    );
    print("before", &before);
    print("during", &during);
    println!(
        "  propose submitted after block {s}; included at {}, vote {}, step 1 (system v1 -> v2, NextStep) {}, step 2 (system v2 -> v3, EndEpoch) {}; block {} starts epoch {} (was {epoch_before})",
        proposed.height.unwrap(),
        voted.height.unwrap(),
        resolved1.height.unwrap(),
        r,
        r + 1,
        ends[1].epoch,
    );
    println!(
        "  resolve gas: step 1 {}, step 2 {}; module sizes v1 {} B, v2 {} B, v3 {} B",
        resolved1.gas_used,
        resolved2.gas_used,
        v1.len(),
        v2.len(),
        v3.len()
    );
    println!(
        "ratio during / before, p50: {:.3}x",
        during.p50 as f64 / before.p50 as f64
    );
    println!(
        "same node process throughout: the first block it committed is {} at the start and at the end; latest {} (epoch {})",
        first_block.map_or_else(|| "none".to_string(), |b| b.height.to_string()),
        chain.height,
        chain.epoch
    );
}

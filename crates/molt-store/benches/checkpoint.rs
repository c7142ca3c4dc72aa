//! Checkpoint time against a plain copy of the same database file.
//!
//! `cargo bench -p molt-store --bench checkpoint` builds stores of 10,000,
//! 100,000 and 1,000,000 keys (32-byte keys, 100-byte values, committed
//! 10,000 per version) in the system's temporary directory, then prints for
//! each: the file's size, the time of `Store::checkpoint` (with the method
//! the filesystem allowed: `reflink` or `copy`) and the time of
//! `std::fs::copy` of the same file followed by an fsync, the median of
//! three runs each. `MOLT_BENCH_MAX_KEYS` caps the largest store.

use std::time::{Duration, Instant};

use molt_store::{AuxBatch, Store, StoreConfig, WriteBatch};

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
const PER_VERSION: usize = 10_000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    let us = d.as_micros();
    format!("{}.{} ms", us / 1000, (us % 1000) / 100)
}

fn main() {
    let max: usize = std::env::var("MOLT_BENCH_MAX_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX);
    println!(
        "{:>10} {:>10} {:>22} {:>14}",
        "keys", "file", "checkpoint", "copy + fsync"
    );
    for keys in SIZES.into_iter().filter(|k| *k <= max) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("state.redb");
        let store = Store::open(&path, StoreConfig::default()).expect("open");
        for (version, start) in (0..keys).step_by(PER_VERSION).enumerate() {
            let mut batch = WriteBatch::new();
            for i in start..(start + PER_VERSION).min(keys) {
                let mut key = [0u8; 32];
                key[..8].copy_from_slice(&(i as u64).to_be_bytes());
                batch.put(key.to_vec(), vec![(i % 251) as u8; 100]);
            }
            store
                .commit(version as u64, &batch, &AuxBatch::new())
                .expect("commit");
        }
        let bytes = std::fs::metadata(&path).expect("stat").len();
        let mut cp_times = Vec::new();
        let mut method = "";
        let mut copy_times = Vec::new();
        for run in 0..3 {
            let dest = dir.path().join(format!("cp-{run}.redb"));
            let cp = store.checkpoint(&dest).expect("checkpoint");
            method = cp.method.as_str();
            cp_times.push(cp.elapsed);
            std::fs::remove_file(&dest).expect("remove");
            let dest = dir.path().join(format!("copy-{run}.redb"));
            let t = Instant::now();
            std::fs::copy(&path, &dest).expect("copy");
            std::fs::File::open(&dest)
                .and_then(|f| f.sync_all())
                .expect("fsync");
            copy_times.push(t.elapsed());
            std::fs::remove_file(&dest).expect("remove");
        }
        println!(
            "{:>10} {:>7} MiB {:>22} {:>14}",
            keys,
            bytes >> 20,
            format!("{} ({method})", ms(median(cp_times))),
            ms(median(copy_times))
        );
    }
}

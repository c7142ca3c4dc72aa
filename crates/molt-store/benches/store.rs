//! Commit throughput of molt-store (JMT over redb) against raw redb.
//!
//! `cargo bench -p molt-store` prints, for blocks of 1,000 and 10,000
//! random updates of existing keys (32-byte keys, 100-byte values) over a
//! state of 100,000 keys, the committed writes per second (from the median
//! block commit time) of
//!   (a) molt-store, keeping all versions and keeping the latest 16,
//!   (b) one redb table, one write transaction per block,
//! both with immediate durability (fsync per block), and the ratio a/b.
//!
//! It then times the BFT path against the direct one on two identical
//! stores, for blocks of 1,000 updates: `prepare` + `apply` of a block
//! against `commit_with` of the same writes, and `prepare_child` of the
//! next block on a pending parent, printed with the ratio of the medians.
//! `cargo bench -p molt-store -- prepare` runs only this part.

use std::num::NonZeroU64;
use std::path::Path;
use std::time::{Duration, Instant};

use molt_store::{AuxBatch, Store, StoreConfig, WriteBatch};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use redb::{Database, Durability, TableDefinition};

const STATE_KEYS: usize = 100_000;
const VALUE_BYTES: usize = 100;
const PRELOAD_BLOCK: usize = 10_000;
/// (updates per block, blocks measured)
const RUNS: [(usize, usize); 2] = [(1_000, 30), (10_000, 8)];
const RAW: TableDefinition<&[u8], &[u8]> = TableDefinition::new("raw");

type Entry = ([u8; 32], Vec<u8>);

struct Workload {
    keys: Vec<[u8; 32]>,
    rng: ChaCha8Rng,
}

impl Workload {
    fn new(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let keys = (0..STATE_KEYS).map(|_| rng.r#gen::<[u8; 32]>()).collect();
        Workload { keys, rng }
    }

    fn value(&mut self) -> Vec<u8> {
        let mut value = vec![0u8; VALUE_BYTES];
        self.rng.fill(&mut value[..]);
        value
    }

    fn preload(&mut self) -> Vec<Entry> {
        let keys = self.keys.clone();
        keys.into_iter().map(|k| (k, self.value())).collect()
    }

    /// `n` updates of distinct existing keys.
    fn block(&mut self, n: usize) -> Vec<Entry> {
        let mut picked = std::collections::BTreeMap::new();
        while picked.len() < n {
            let key = self.keys[self.rng.gen_range(0..self.keys.len())];
            let value = self.value();
            picked.insert(key, value);
        }
        picked.into_iter().collect()
    }
}

trait Target {
    fn commit(&mut self, entries: &[Entry]);
}

struct Molt {
    store: Store,
    next: u64,
}

impl Target for Molt {
    fn commit(&mut self, entries: &[Entry]) {
        let mut writes = WriteBatch::new();
        for (k, v) in entries {
            writes.put(k.to_vec(), v.clone());
        }
        self.store
            .commit(self.next, &writes, &AuxBatch::new())
            .expect("molt-store commit");
        self.next += 1;
    }
}

struct Raw {
    db: Database,
}

impl Target for Raw {
    fn commit(&mut self, entries: &[Entry]) {
        let mut txn = self.db.begin_write().expect("begin");
        txn.set_durability(Durability::Immediate)
            .expect("durability");
        {
            let mut table = txn.open_table(RAW).expect("table");
            for (k, v) in entries {
                table.insert(&k[..], &v[..]).expect("insert");
            }
        }
        txn.commit().expect("raw commit");
    }
}

/// Preloads the state, then times `blocks` commits of `size` updates.
/// Returns (writes per second, median time per block); the median keeps a
/// block delayed by another process on the machine from skewing the figure.
fn run(target: &mut dyn Target, seed: u64, size: usize, blocks: usize) -> (u128, Duration) {
    let mut workload = Workload::new(seed);
    let preload = workload.preload();
    for chunk in preload.chunks(PRELOAD_BLOCK) {
        target.commit(chunk);
    }
    let mut times = Vec::with_capacity(blocks);
    for _ in 0..blocks {
        let block = workload.block(size);
        let started = Instant::now();
        target.commit(&block);
        times.push(started.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let per_second = size as u128 * 1_000_000_000 / median.as_nanos().max(1);
    (per_second, median)
}

fn molt(dir: &Path, name: &str, config: StoreConfig) -> Molt {
    let store = Store::open(&dir.join(name), config).expect("open molt-store");
    Molt { store, next: 0 }
}

fn raw(dir: &Path, name: &str) -> Raw {
    let db = Database::builder()
        .set_cache_size(StoreConfig::DEFAULT_CACHE_BYTES)
        .create(dir.join(name))
        .expect("open redb");
    Raw { db }
}

/// `a / b` with three decimals, in integer arithmetic.
fn ratio(a: u128, b: u128) -> String {
    let milli = a * 1000 / b.max(1);
    format!("{}.{:03}", milli / 1000, milli % 1000)
}

/// Median of `times`.
fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// `prepare` + `apply` against `commit_with` of the same blocks, on two
/// stores preloaded with the same state.
fn prepare_vs_commit(dir: &Path) {
    const SIZE: usize = 1_000;
    const BLOCKS: usize = 20;
    let seed = 7;
    let open = |name: &str| {
        let mut target = molt(dir, name, StoreConfig::archive());
        let mut workload = Workload::new(seed);
        for chunk in workload.preload().chunks(PRELOAD_BLOCK) {
            target.commit(chunk);
        }
        target
    };
    let direct = open("direct");
    let staged = open("staged");
    let mut workload = Workload::new(seed);
    workload.preload();
    let to_batch = |entries: &[Entry]| {
        let mut writes = WriteBatch::new();
        for (k, v) in entries {
            writes.put(k.to_vec(), v.clone());
        }
        writes
    };

    let (mut commits, mut prepares, mut applies, mut children) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..BLOCKS {
        let version = direct.next + i as u64;
        let writes = to_batch(&workload.block(SIZE));
        let next_writes = to_batch(&workload.block(SIZE));
        let commit = |commits: &mut Vec<Duration>| {
            let started = Instant::now();
            let root = direct
                .store
                .commit_with(version, &writes, |_| AuxBatch::new())
                .expect("commit_with");
            commits.push(started.elapsed());
            root
        };
        let stage = |prepares: &mut Vec<Duration>, applies: &mut Vec<Duration>| {
            let started = Instant::now();
            let block = staged
                .store
                .prepare(version, writes.clone())
                .expect("prepare");
            prepares.push(started.elapsed());
            let started = Instant::now();
            let root = staged
                .store
                .apply(&block, |_| AuxBatch::new())
                .expect("apply");
            applies.push(started.elapsed());
            (block, root)
        };
        // Alternate which store goes first, so that neither always runs
        // right after the other's fsync.
        let (direct_root, (block, staged_root)) = if i % 2 == 0 {
            let d = commit(&mut commits);
            (d, stage(&mut prepares, &mut applies))
        } else {
            let s = stage(&mut prepares, &mut applies);
            (commit(&mut commits), s)
        };
        assert_eq!(direct_root, staged_root, "both paths give one root");
        // The next block prepared on this one while it is still pending
        // (measured on a fresh prepare of this block; it is not applied).
        let pending = staged
            .store
            .prepare(version + 1, next_writes.clone())
            .expect("prepare next");
        let started = Instant::now();
        staged
            .store
            .prepare_child(&pending, next_writes)
            .expect("prepare_child");
        children.push(started.elapsed());
        drop((block, pending));
    }
    let (c, p, a, ch) = (
        median(commits),
        median(prepares),
        median(applies),
        median(children),
    );
    let staged_total = p + a;
    println!();
    println!(
        "prepare + apply vs commit_with: {SIZE}-update blocks over {STATE_KEYS} keys, \
         median of {BLOCKS}"
    );
    println!(
        "  commit_with {:.1?} | prepare {:.1?} + apply {:.1?} = {:.1?} | prepare_child on a \
         pending parent {:.1?}",
        c, p, a, staged_total, ch
    );
    println!(
        "  (prepare + apply) / commit_with = {}",
        ratio(staged_total.as_nanos(), c.as_nanos())
    );
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    if std::env::args().skip(1).any(|a| a == "prepare") {
        prepare_vs_commit(dir.path());
        return;
    }
    println!(
        "molt-store commit throughput: {STATE_KEYS} keys preloaded, 32-byte keys, \
         {VALUE_BYTES}-byte values, random updates of existing keys, fsync per block"
    );
    println!("databases in {}", dir.path().display());
    println!(
        "{:>10} {:>7} | {:>22} | {:>22} | {:>22} | {:>9} {:>9}",
        "block",
        "blocks",
        "(a) molt-store archive",
        "(a') molt-store keep 16",
        "(b) raw redb",
        "a/b",
        "a'/b"
    );
    let keep16 = StoreConfig::keep_latest(NonZeroU64::new(16).expect("non-zero"));
    for (i, (size, blocks)) in RUNS.into_iter().enumerate() {
        let seed = 42 + i as u64;
        let (a, a_ms) = run(
            &mut molt(dir.path(), &format!("a{i}"), StoreConfig::archive()),
            seed,
            size,
            blocks,
        );
        let (p, p_ms) = run(
            &mut molt(dir.path(), &format!("p{i}"), keep16.clone()),
            seed,
            size,
            blocks,
        );
        let (b, b_ms) = run(&mut raw(dir.path(), &format!("b{i}")), seed, size, blocks);
        println!(
            "{size:>10} {blocks:>7} | {:>22} | {:>22} | {:>22} | {:>9} {:>9}",
            format!("{a} w/s {:.1?}/blk", a_ms),
            format!("{p} w/s {:.1?}/blk", p_ms),
            format!("{b} w/s {:.1?}/blk", b_ms),
            ratio(a, b),
            ratio(p, b),
        );
    }
    prepare_vs_commit(dir.path());
}

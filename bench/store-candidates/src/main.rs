//! One-off benchmark: committed writes/s of candidate authenticated state stores.
//!
//! (a) jmt 0.12 with nodes/values in redb 4.5 (one redb write txn per block)
//! (b) commonware-storage 2026.10.0 QMDB (`any` and `current`, unordered, fixed-size values)
//! (c) raw redb 4.5, one table, no authentication (baseline)
//!
//! Every block is committed durably before the next one starts: redb commits with
//! `Durability::Immediate` (fsync), QMDB calls `Db::commit()` (journal fsync via the
//! commonware tokio runtime's `sync_data`). The timed region of a block covers
//! building the batch, computing the root, writing and the durable commit.

use std::{
    collections::HashSet,
    num::{NonZeroU16, NonZeroU64, NonZeroUsize},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{anyhow, Result};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

const SEED: u64 = 0x4d6f_6c74; // "Molt"
const INITIAL_KEYS: usize = 100_000;
/// (block size, number of blocks); the 1k blocks run first, then the 10k blocks.
const BLOCKS: &[(usize, usize)] = &[(1_000, 10), (10_000, 5)];
/// Fraction of updates in a block that create a new key (the rest overwrite existing keys).
const NEW_KEY_FRACTION: f64 = 0.5;

type Key = [u8; 32];
type Val = [u8; 100];

struct Workload {
    initial: Vec<(Key, Val)>,
    blocks: Vec<Vec<(Key, Val)>>,
}

fn workload() -> Workload {
    let mut rng = ChaCha20Rng::seed_from_u64(SEED);
    let mut kv = || {
        let (mut k, mut v) = ([0u8; 32], [0u8; 100]);
        rng.fill_bytes(&mut k);
        rng.fill_bytes(&mut v);
        (k, v)
    };
    let initial: Vec<_> = (0..INITIAL_KEYS).map(|_| kv()).collect();
    let mut rng = ChaCha20Rng::seed_from_u64(SEED + 1);
    let mut keys: Vec<Key> = initial.iter().map(|(k, _)| *k).collect();
    let mut blocks = Vec::new();
    for &(size, count) in BLOCKS {
        for _ in 0..count {
            let mut seen = HashSet::with_capacity(size);
            let mut block = Vec::with_capacity(size);
            let mut fresh = Vec::new();
            while block.len() < size {
                let key = if rng.gen_bool(NEW_KEY_FRACTION) {
                    let mut k = [0u8; 32];
                    rng.fill_bytes(&mut k);
                    fresh.push(k);
                    k
                } else {
                    keys[rng.gen_range(0..keys.len())]
                };
                if !seen.insert(key) {
                    continue; // keep keys unique within a block
                }
                let mut v = [0u8; 100];
                rng.fill_bytes(&mut v);
                block.push((key, v));
            }
            keys.extend(fresh); // new keys become candidates for overwrites in later blocks
            blocks.push(block);
        }
    }
    Workload { initial, blocks }
}

fn short_hex(b: &[u8]) -> String {
    b.iter().take(8).map(|x| format!("{x:02x}")).collect()
}

/// Per-candidate result: (block size, elapsed per block)
struct Run {
    name: &'static str,
    load: Duration,
    blocks: Vec<(usize, Duration)>,
    final_root: String,
}

fn fresh_dir(base: &Path, name: &str) -> Result<PathBuf> {
    let d = base.join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

// ---------------------------------------------------------------- (c) raw redb
mod raw_redb {
    use super::*;
    use redb::{Database, Durability, TableDefinition};
    const KV: TableDefinition<&[u8], &[u8]> = TableDefinition::new("kv");

    pub fn commit(db: &Database, kvs: &[(Key, Val)]) -> Result<()> {
        let mut tx = db.begin_write()?;
        tx.set_durability(Durability::Immediate)?;
        {
            let mut t = tx.open_table(KV)?;
            for (k, v) in kvs {
                t.insert(k.as_slice(), v.as_slice())?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn run(dir: &Path, w: &Workload) -> Result<Run> {
        let db = Database::create(dir.join("raw.redb"))?;
        let t = Instant::now();
        commit(&db, &w.initial)?;
        let load = t.elapsed();
        let mut blocks = Vec::new();
        for b in &w.blocks {
            let t = Instant::now();
            commit(&db, b)?;
            blocks.push((b.len(), t.elapsed()));
        }
        Ok(Run { name: "(c) redb raw", load, blocks, final_root: "-".into() })
    }
}

// ---------------------------------------------------------------- (a) jmt over redb
mod jmt_redb {
    use super::*;
    use borsh::BorshDeserialize;
    use jmt::{
        storage::{LeafNode, Node, NodeKey, TreeReader},
        KeyHash, OwnedValue, Sha256Jmt, Version,
    };
    use redb::{
        Database, Durability, ReadOnlyTable, ReadableDatabase, TableDefinition,
    };

    const NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_nodes");
    /// key = key_hash (32) || version (u64 BE); value = 0 (deleted) | 1 ++ bytes
    const VALUES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_values");

    fn value_key(kh: &KeyHash, v: Version) -> [u8; 40] {
        let mut out = [0u8; 40];
        out[..32].copy_from_slice(&kh.0);
        out[32..].copy_from_slice(&v.to_be_bytes());
        out
    }

    /// TreeReader over a redb read snapshot of the last committed block.
    struct Reader {
        nodes: Option<ReadOnlyTable<&'static [u8], &'static [u8]>>,
        values: Option<ReadOnlyTable<&'static [u8], &'static [u8]>>,
    }

    impl Reader {
        fn open(db: &Database) -> Result<Self> {
            let tx = db.begin_read()?;
            let open = |r: std::result::Result<_, redb::TableError>| match r {
                Ok(t) => Ok(Some(t)),
                Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
                Err(e) => Err(anyhow::Error::from(e)),
            };
            Ok(Self { nodes: open(tx.open_table(NODES))?, values: open(tx.open_table(VALUES))? })
        }
    }

    impl TreeReader for Reader {
        fn get_node_option(&self, node_key: &NodeKey) -> Result<Option<Node>> {
            let Some(t) = &self.nodes else { return Ok(None) };
            let k = borsh::to_vec(node_key)?;
            Ok(match t.get(k.as_slice())? {
                Some(g) => Some(Node::try_from_slice(g.value())?),
                None => None,
            })
        }

        fn get_value_option(&self, max_version: Version, kh: KeyHash) -> Result<Option<OwnedValue>> {
            let Some(t) = &self.values else { return Ok(None) };
            let (lo, hi) = (value_key(&kh, 0), value_key(&kh, max_version));
            let mut range = t.range(lo.as_slice()..=hi.as_slice())?;
            Ok(match range.next_back().transpose()? {
                Some((_, v)) if v.value().first() == Some(&1) => Some(v.value()[1..].to_vec()),
                _ => None,
            })
        }

        fn get_rightmost_leaf(&self) -> Result<Option<(NodeKey, LeafNode)>> {
            Err(anyhow!("get_rightmost_leaf is only needed for state restore; not implemented"))
        }
    }

    /// Compute the new root for `kvs` at `version` and persist the tree-update batch
    /// (new nodes + values) in a single durable redb write transaction.
    pub fn commit(db: &Database, version: Version, kvs: &[(Key, Val)]) -> Result<[u8; 32]> {
        let reader = Reader::open(db)?;
        let tree = Sha256Jmt::new(&reader);
        let set = kvs
            .iter()
            .map(|(k, v)| (KeyHash::with::<sha2::Sha256>(k), Some(v.to_vec())));
        let (root, update) = tree.put_value_set(set, version)?;
        let batch = update.node_batch;
        let mut tx = db.begin_write()?;
        tx.set_durability(Durability::Immediate)?;
        {
            let mut nodes = tx.open_table(NODES)?;
            for (nk, node) in batch.nodes() {
                nodes.insert(borsh::to_vec(nk)?.as_slice(), borsh::to_vec(node)?.as_slice())?;
            }
            let mut values = tx.open_table(VALUES)?;
            let mut buf = Vec::with_capacity(101);
            for ((ver, kh), val) in batch.values() {
                buf.clear();
                match val {
                    Some(v) => {
                        buf.push(1);
                        buf.extend_from_slice(v);
                    }
                    None => buf.push(0),
                }
                values.insert(value_key(kh, *ver).as_slice(), buf.as_slice())?;
            }
        }
        tx.commit()?;
        // Stale-node index is ignored: no pruning, like the QMDB runs (which never prune here).
        Ok(root.0)
    }

    pub fn run(dir: &Path, w: &Workload) -> Result<Run> {
        let db = Database::create(dir.join("jmt.redb"))?;
        let t = Instant::now();
        let mut root = commit(&db, 0, &w.initial)?;
        let load = t.elapsed();
        let mut blocks = Vec::new();
        for (i, b) in w.blocks.iter().enumerate() {
            let t = Instant::now();
            root = commit(&db, i as Version + 1, b)?;
            blocks.push((b.len(), t.elapsed()));
        }
        Ok(Run { name: "(a) jmt+redb", load, blocks, final_root: short_hex(&root) })
    }
}

// ---------------------------------------------------------------- (b) commonware QMDB
mod qmdb {
    use super::*;
    use commonware_cryptography::Sha256;
    use commonware_parallel::Sequential;
    use commonware_runtime::{
        buffer::paged::{page_size, CacheRef},
        tokio as cw, Runner as _, Supervisor as _, BLOB_PAGE_SIZE,
    };
    use commonware_storage::{
        journal::contiguous::fixed::Config as FConfig,
        merkle::{full::Config as MerkleConfig, mmr},
        qmdb::{any, current, floor::Proportional},
        translator::EightCap,
    };
    use commonware_utils::sequence::FixedBytes;

    type K = FixedBytes<32>;
    type V = FixedBytes<100>;
    type AnyDb = any::unordered::fixed::Db<mmr::Family, cw::Context, K, V, Sha256, EightCap, Sequential>;
    type CurDb =
        current::unordered::fixed::Db<mmr::Family, cw::Context, K, V, Sha256, EightCap, 32, Sequential>;

    // Settings taken from the values used by commonware-storage's own QMDB benches.
    const ITEMS_PER_BLOB: NonZeroU64 = NonZeroU64::new(50_000).unwrap();
    const BUF: NonZeroUsize = NonZeroUsize::new(2 * 1024 * 1024).unwrap();
    const PAGE_CACHE_PAGES: NonZeroUsize = NonZeroUsize::new(512).unwrap();
    const PAGE: NonZeroU16 = page_size(BLOB_PAGE_SIZE);

    fn parts(p: &str) -> (MerkleConfig<Sequential>, FConfig) {
        let page_cache = CacheRef::new(PAGE, PAGE_CACHE_PAGES);
        let m = MerkleConfig {
            journal_partition: format!("{p}-mmr-journal"),
            metadata_partition: format!("{p}-mmr-metadata"),
            items_per_blob: ITEMS_PER_BLOB,
            write_buffer: BUF,
            replay_buffer: BUF,
            strategy: Sequential,
            page_cache: page_cache.clone(),
        };
        let j = FConfig {
            partition: format!("{p}-log"),
            items_per_blob: ITEMS_PER_BLOB,
            page_cache,
            write_buffer: BUF,
            replay_buffer: BUF,
        };
        (m, j)
    }

    fn kv(kvs: &[(Key, Val)]) -> impl Iterator<Item = (K, Option<V>)> + '_ {
        kvs.iter().map(|(k, v)| (FixedBytes::new(*k), Some(FixedBytes::new(*v))))
    }

    async fn run_any(ctx: cw::Context, w: &Workload) -> Result<Run> {
        let (merkle_config, journal_config) = parts("any");
        let cfg = any::FixedConfig {
            merkle_config,
            journal_config,
            translator: EightCap,
            init_cache: None,
            init_buffer: BUF,
            init_concurrency: (),
        };
        let mut db = AnyDb::init(ctx.child("any"), cfg, None).await.map_err(|e| anyhow!("{e}"))?;
        let mut load = Duration::ZERO;
        let mut blocks = Vec::new();
        for (i, b) in std::iter::once(&w.initial).chain(&w.blocks).enumerate() {
            let t = Instant::now();
            let mut batch = db.new_batch();
            for (k, v) in kv(b) {
                batch = batch.write(k, v);
            }
            let batch = batch.merkleize(&db, None, &mut Proportional).await.map_err(|e| anyhow!("{e}"))?;
            db = db.apply_batch(batch).await.map_err(|e| anyhow!("{e}"))?;
            db = db.commit().await.map_err(|e| anyhow!("{e}"))?;
            if i == 0 { load = t.elapsed() } else { blocks.push((b.len(), t.elapsed())) }
        }
        let root = short_hex(db.root().as_ref());
        Ok(Run { name: "(b1) qmdb any", load, blocks, final_root: root })
    }

    async fn run_current(ctx: cw::Context, w: &Workload) -> Result<Run> {
        let (merkle_config, journal_config) = parts("current");
        let cfg = current::FixedConfig {
            merkle_config,
            journal_config,
            grafted_metadata_partition: "current-grafted-metadata".into(),
            translator: EightCap,
            init_cache: None,
            init_buffer: BUF,
            init_concurrency: (),
        };
        let mut db = CurDb::init(ctx.child("current"), cfg, None).await.map_err(|e| anyhow!("{e}"))?;
        let mut load = Duration::ZERO;
        let mut blocks = Vec::new();
        for (i, b) in std::iter::once(&w.initial).chain(&w.blocks).enumerate() {
            let t = Instant::now();
            let mut batch = db.new_batch();
            for (k, v) in kv(b) {
                batch = batch.write(k, v);
            }
            let batch = batch.merkleize(&db, None, &mut Proportional).await.map_err(|e| anyhow!("{e}"))?;
            db = db.apply_batch(batch).await.map_err(|e| anyhow!("{e}"))?;
            db = db.commit().await.map_err(|e| anyhow!("{e}"))?;
            if i == 0 { load = t.elapsed() } else { blocks.push((b.len(), t.elapsed())) }
        }
        let root = short_hex(db.root().as_ref());
        Ok(Run { name: "(b2) qmdb current", load, blocks, final_root: root })
    }

    pub fn run(dir: &Path, w: &Workload) -> Result<Vec<Run>> {
        let cfg = cw::Config::new().with_storage_directory(dir).with_worker_threads(2);
        cw::Runner::new(cfg).start(|ctx| async move {
            let a = run_any(ctx.child("b1"), w).await?;
            let c = run_current(ctx.child("b2"), w).await?;
            Ok(vec![a, c])
        })
    }
}

// ---------------------------------------------------------------- report
fn main() -> Result<()> {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let t = Instant::now();
    let w = workload();
    println!(
        "workload: seed={SEED:#x}, initial={INITIAL_KEYS} keys (32B key, 100B value), blocks={:?} (size, count), {:.0}% new keys / rest overwrites; generated in {:.2?}",
        BLOCKS, NEW_KEY_FRACTION * 100.0, t.elapsed()
    );
    println!("data dir: {}\n", base.display());

    let mut runs = vec![raw_redb::run(&fresh_dir(&base, "c-redb")?, &w)?];
    runs.push(jmt_redb::run(&fresh_dir(&base, "a-jmt-redb")?, &w)?);
    runs.extend(qmdb::run(&fresh_dir(&base, "b-qmdb")?, &w)?);

    let sizes: Vec<usize> = BLOCKS.iter().map(|b| b.0).collect();
    // committed writes/s per candidate per block size = total writes / total time of those blocks
    let wps = |r: &Run, s: usize| {
        let (n, d) = r.blocks.iter().filter(|b| b.0 == s).fold((0usize, Duration::ZERO), |a, b| (a.0 + b.0, a.1 + b.1));
        n as f64 / d.as_secs_f64()
    };
    let median_ms = |r: &Run, s: usize| {
        let mut v: Vec<f64> = r.blocks.iter().filter(|b| b.0 == s).map(|b| b.1.as_secs_f64() * 1e3).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    print!("{:<20} {:>12}", "candidate", "load 100k");
    for s in &sizes {
        print!(" {:>14} {:>12}", format!("w/s @{s}"), format!("med ms @{s}"));
    }
    println!("  final root");
    for r in &runs {
        print!("{:<20} {:>10.0}ms", r.name, r.load.as_secs_f64() * 1e3);
        for &s in &sizes {
            print!(" {:>14.0} {:>12.1}", wps(r, s), median_ms(r, s));
        }
        println!("  {}", r.final_root);
    }
    println!("\nratios vs (c) redb raw (committed writes/s; <1 = slower than baseline):");
    for r in runs.iter().skip(1) {
        print!("{:<20}", format!("{} / (c)", r.name.split(' ').next().unwrap()));
        for &s in &sizes {
            print!("  @{s}: {:.3}", wps(r, s) / wps(&runs[0], s));
        }
        println!("   [{}]", r.name);
    }
    Ok(())
}

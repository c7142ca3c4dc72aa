//! Crash safety: a writer process is killed with SIGKILL at random moments;
//! every reopen must find exactly the last fully committed version.
//!
//! The writer is this test binary itself, re-executed to run the ignored
//! test [`crash_writer_child`] (which does nothing unless [`CHILD_ENV`] is
//! set), so the test works the same under `cargo test` and `cargo nextest`.
//! The content of version `v` is a function of `(seed, v)`, so the parent
//! can recompute everything the child wrote. Reseed with
//! `MOLT_STORE_CRASH_SEED=<u64>`.

use std::io::{Read, Write};
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use molt_store::{AuxBatch, Store, StoreConfig, WriteBatch};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::util::{Model, TempStore, apply, db_path};

const CHILD_ENV: &str = "MOLT_STORE_CRASH_CHILD";
const SEED_ENV: &str = "MOLT_STORE_CRASH_SEED";
const DEFAULT_SEED: u64 = 0x6d6f_6c74_5eed;
const ROUNDS: usize = 30;
const KEYS: u64 = 2_000;
const WRITES_PER_BLOCK: usize = 300;
/// A child never runs past this version, even if its parent died.
const CHILD_MAX_VERSION: u64 = 5_000;

/// The child prunes too, so pruning is crash-tested with the commits.
fn config() -> StoreConfig {
    StoreConfig::keep_latest(NonZeroU64::new(16).expect("non-zero"))
}

fn key(i: u64) -> Vec<u8> {
    format!("acct/{i:05}").into_bytes()
}

/// The writes and aux data of version `v`: a function of `(seed, v)` only.
fn block(seed: u64, v: u64) -> (WriteBatch, AuxBatch) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(v);
    let mut writes = WriteBatch::new();
    for _ in 0..WRITES_PER_BLOCK {
        let i = rng.gen_range(0..KEYS);
        if rng.gen_ratio(1, 8) {
            writes.delete(key(i));
        } else {
            let value = format!("v{v}:k{i}:{:016x}:{}", rng.r#gen::<u64>(), "x".repeat(60));
            writes.put(key(i), value.into_bytes());
        }
    }
    let mut aux = AuxBatch::new();
    aux.put("blocks", v.to_be_bytes(), block_record(v, &writes));
    (writes, aux)
}

fn block_record(v: u64, writes: &WriteBatch) -> Vec<u8> {
    format!("block {v}: {} writes", writes.len()).into_bytes()
}

/// The writer. Ignored so that it only runs when the parent starts it.
#[test]
#[ignore = "child process of crash_recovery_after_sigkill; does nothing on its own"]
fn crash_writer_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.split('\n');
    let path = PathBuf::from(parts.next().expect("db path"));
    let seed: u64 = parts.next().and_then(|s| s.parse().ok()).expect("seed");
    let stop_at: u64 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(CHILD_MAX_VERSION);

    let store = Store::open(&path, config()).expect("child opens the store");
    let mut next = store.latest_version().map_or(0, |v| v + 1);
    let mut out = std::io::stdout().lock();
    while next <= stop_at.min(CHILD_MAX_VERSION) {
        let (writes, aux) = block(seed, next);
        store.commit(next, &writes, &aux).expect("child commit");
        // One short write per line: a kill leaves whole lines or a torn last one.
        out.write_all(format!("committed {next} ok\n").as_bytes())
            .expect("report");
        out.flush().expect("flush report");
        next += 1;
    }
}

fn spawn_child(path: &Path, seed: u64, stop_at: Option<u64>) -> Child {
    let exe = std::env::current_exe().expect("path of the test binary");
    let stop = stop_at.map(|v| v.to_string()).unwrap_or_default();
    Command::new(exe)
        .args([
            "crash::crash_writer_child",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .args(["--test-threads", "1"])
        .env(CHILD_ENV, format!("{}\n{seed}\n{stop}", path.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the writer process")
}

/// The highest version the child reported as committed (its commit returned).
fn reported_commits(child: &mut Child) -> Option<u64> {
    let mut text = String::new();
    if let Some(out) = child.stdout.as_mut() {
        out.read_to_string(&mut text)
            .expect("read the child's reports");
    }
    text.lines()
        .filter_map(|line| {
            line.strip_prefix("committed ")?
                .strip_suffix(" ok")?
                .parse()
                .ok()
        })
        .max()
}

/// What the parent has recomputed so far: the model and a reference store
/// replaying versions `0..=replayed` from scratch.
struct Replay {
    seed: u64,
    model: Model,
    reference: TempStore,
    replayed: Option<u64>,
}

impl Replay {
    fn advance_to(&mut self, version: u64) {
        let mut next = self.replayed.map_or(0, |v| v + 1);
        while next <= version {
            let (writes, aux) = block(self.seed, next);
            apply(&mut self.model, &writes);
            self.reference
                .store
                .commit(next, &writes, &aux)
                .expect("reference commit");
            self.replayed = Some(next);
            next += 1;
        }
    }

    /// Reopens the killed writer's store and checks that it holds exactly
    /// one whole version; returns that version.
    fn check(&mut self, path: &Path, round: usize) -> Option<u64> {
        let seed = self.seed;
        let store = Store::open(path, config()).expect("reopen after SIGKILL");
        let latest = store.latest_version()?;
        assert!(
            self.replayed.is_none_or(|r| latest >= r),
            "seed {seed} round {round}: the store went back from {:?} to {latest}",
            self.replayed
        );
        self.advance_to(latest);
        let ctx = format!("seed {seed} round {round} latest {latest}");

        // The root equals the root of a fresh replay of 0..=latest.
        let root = store.root(latest).expect("root of the latest version");
        assert_eq!(
            root,
            self.reference.store.root(latest).expect("reference root"),
            "{ctx}"
        );
        // Every key holds its value at `latest`; nothing more is visible.
        let state = store.iter_prefix(b"").expect("iterate the state");
        let want: Vec<(Vec<u8>, Vec<u8>)> = self.model.clone().into_iter().collect();
        assert!(state == want, "{ctx}: the state differs from the model");
        let (after, _) = block(seed, latest + 1);
        for (k, v) in after.iter() {
            if let Some(v) = v {
                let got = store.get(k).expect("get");
                assert_ne!(
                    got.as_deref(),
                    Some(v),
                    "{ctx}: a write of the next version is visible"
                );
            }
        }
        // Versioned reads and proofs of the latest version agree.
        for i in (0..KEYS).step_by(97) {
            let k = key(i);
            let (value, proof) = store.get_with_proof(&k, latest).expect("proof");
            assert_eq!(value.as_ref(), self.model.get(&k), "{ctx}");
            proof
                .verify(root, &k, value.as_deref())
                .expect("proof verifies");
        }
        // The block record was committed with its state, and only it.
        let (writes, _) = block(seed, latest);
        let record = store.get_aux("blocks", &latest.to_be_bytes()).expect("aux");
        assert_eq!(record, Some(block_record(latest, &writes)), "{ctx}");
        let next_record = store
            .get_aux("blocks", &(latest + 1).to_be_bytes())
            .expect("aux");
        assert_eq!(next_record, None, "{ctx}: the next block leaked");
        // Pruning ran in the same transactions.
        let oldest = store.oldest_version().expect("oldest");
        assert_eq!(oldest, (latest + 1).saturating_sub(16), "{ctx}");
        Some(latest)
    }
}

#[test]
fn crash_recovery_after_sigkill() {
    let seed = std::env::var(SEED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(dir.path());
    let mut replay = Replay {
        seed,
        model: Model::new(),
        reference: TempStore::archive(),
        replayed: None,
    };
    let mut delays = ChaCha8Rng::seed_from_u64(seed ^ 0xdead);
    let started = Instant::now();
    let mut kills_after_commits = 0;
    // On a loaded machine the writer may take longer than the delays to
    // start and open the store; each round in which it committed nothing
    // moves the delays later (kills still land at random moments of its run).
    let mut slack_ms: u64 = 0;

    for round in 0..ROUNDS {
        let mut child = spawn_child(&path, seed, None);
        let delay = delays.gen_range(100..600) + slack_ms;
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().expect("SIGKILL the writer");
        child.wait().expect("reap the writer");
        let reported = reported_commits(&mut child);
        let latest = replay.check(&path, round);
        eprintln!(
            "round {round}: killed after {delay} ms, reported {reported:?}, reopened at {latest:?}"
        );
        if reported.is_none() {
            slack_ms = (slack_ms + 300).min(5_000);
        }
        if let Some(reported) = reported {
            kills_after_commits += 1;
            // Durability: a commit that returned is never lost; at most the
            // one in flight (reported or not) is added.
            let latest = latest.expect("a reported commit survives");
            assert!(
                latest == reported || latest == reported + 1,
                "seed {seed} round {round}: reported {reported}, found {latest}"
            );
        }
    }
    assert!(
        kills_after_commits >= ROUNDS / 2,
        "the writer rarely got to commit; raise the delays"
    );

    // The writer resumes from latest + 1 and stops cleanly at a given version.
    let resumed_from = replay.replayed.map_or(0, |v| v + 1);
    let stop_at = resumed_from + 3;
    let mut child = spawn_child(&path, seed, Some(stop_at));
    let status = child.wait().expect("wait for the writer");
    assert!(status.success(), "the writer failed to resume: {status}");
    assert_eq!(reported_commits(&mut child), Some(stop_at));
    assert_eq!(replay.check(&path, ROUNDS), Some(stop_at));
    eprintln!(
        "crash test: seed {seed}, {ROUNDS} kills, reached version {stop_at} in {:?}",
        started.elapsed()
    );
}

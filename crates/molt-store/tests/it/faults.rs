//! Storage faults: a read, a write or a sync (fsync) that fails in the
//! middle of a commit or an apply gives a typed storage error, never a
//! panic, and the reopened store is at a committed version, whole. A failed
//! read leaves the previous version. A failed write or sync inside the
//! final flush, which has already handed the new header to the file, may
//! leave either the previous or the failed version, complete (the
//! operating system still holds the writes that succeeded), exactly as a
//! crash during that commit may.
//!
//! Each trial copies one base database, opens it on a
//! [`FaultyBackend`](molt_store::FaultyBackend) (cold cache, so commits
//! read from the file), arms a fault at the `n`-th operation of its kind
//! for `n` spread over the operations of that kind a clean commit does,
//! commits, then reopens the file with [`Store::open`].

use std::path::Path;

use molt_store::{
    AuxBatch, FaultOp, Faults, FaultyBackend, Store, StoreConfig, StoreError, WriteBatch,
};
use molt_types::Digest;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

use crate::util::{Model, TempStore, apply, db_path};

/// Versions `0..=BASE` are committed before any fault.
const BASE: u64 = 3;
/// The version whose commit the faults hit.
const FAULTED: u64 = BASE + 1;
/// Enough keys that the tree does not fit in the smallest page cache, so
/// that commits read from the file.
const KEYS: u64 = 5_000;
/// Fault positions tried per kind of operation, spread over a commit;
/// `MOLT_STORE_FAULT_TRIALS=<n>` tries more (or fewer).
const DEFAULT_TRIALS: u64 = 16;

fn trials() -> u64 {
    std::env::var("MOLT_STORE_FAULT_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|n| *n >= 2)
        .unwrap_or(DEFAULT_TRIALS)
}

/// The smallest page cache: a store whose reads go to the file.
fn config() -> StoreConfig {
    StoreConfig {
        cache_bytes: StoreConfig::MIN_CACHE_BYTES,
        ..StoreConfig::archive()
    }
}

fn key(i: u64) -> Vec<u8> {
    format!("acct/{i:04}").into_bytes()
}

/// The writes and aux data of version `v`, a function of `v` alone.
fn block(v: u64) -> (WriteBatch, AuxBatch) {
    let mut rng = ChaCha8Rng::seed_from_u64(0xfa17 ^ v);
    let mut writes = WriteBatch::new();
    // The block the faults hit is large enough that its commit grows the
    // file, which adds a sync before the final flush.
    let (count, padding) = match v {
        0 => (KEYS, 0),
        FAULTED => (1_000, 800),
        _ => (150, 0),
    };
    for n in 0..count {
        let i = if v == 0 { n } else { rng.gen_range(0..KEYS) };
        if v > 0 && rng.gen_ratio(1, 6) {
            writes.delete(key(i));
        } else {
            let value = format!("v{v}:{i}:{:032x}", rng.r#gen::<u128>());
            writes.put(key(i), value + &"p".repeat(padding));
        }
    }
    let mut aux = AuxBatch::new();
    aux.put("blocks", v.to_be_bytes(), format!("block {v}").into_bytes());
    (writes, aux)
}

/// What versions `0..=BASE + 1` hold, from an independent store.
struct Expected {
    models: Vec<Model>,
    roots: Vec<Digest>,
}

fn expected() -> Expected {
    let reference = TempStore::archive();
    let mut model = Model::new();
    let mut models = Vec::new();
    let mut roots = Vec::new();
    for v in 0..=BASE + 1 {
        let (writes, aux) = block(v);
        apply(&mut model, &writes);
        roots.push(reference.store.commit(v, &writes, &aux).expect("reference"));
        models.push(model.clone());
    }
    Expected { models, roots }
}

/// A database file with versions `0..=BASE`, closed.
fn base_db() -> tempfile::TempDir {
    let t = TempStore::archive();
    for v in 0..=BASE {
        let (writes, aux) = block(v);
        t.store.commit(v, &writes, &aux).expect("base commit");
    }
    let TempStore { store, dir } = t;
    drop(store);
    dir
}

/// How the trial writes version `BASE + 1`.
#[derive(Debug, Clone, Copy)]
enum Path_ {
    CommitWith,
    PrepareApply,
}

/// Opens a copy of `base` on a faulty backend.
fn open_copy(base: &Path) -> (tempfile::TempDir, Store, Arc<Faults>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(dir.path());
    std::fs::copy(db_path(base), &path).expect("copy the base database");
    let backend = FaultyBackend::open(&path).expect("open the file");
    let faults = backend.faults();
    let store =
        Store::open_with_backend(&path, backend, config()).expect("open on the faulty backend");
    (dir, store, faults)
}

fn write_next(store: &Store, how: Path_) -> Result<Digest, StoreError> {
    let version = BASE + 1;
    let (writes, aux) = block(version);
    match how {
        Path_::CommitWith => store.commit_with(version, &writes, |_| aux),
        Path_::PrepareApply => {
            let prepared = store.prepare(version, writes)?;
            let applied = store.apply(&prepared, |_| aux);
            if applied.is_err() {
                assert!(
                    !prepared.is_applied(),
                    "a failed apply marks nothing applied"
                );
            }
            applied
        }
    }
}

/// Checks the reopened store: a committed version, whole; returns it.
fn check_reopened(path: &Path, expected: &Expected, op: FaultOp, ctx: &str) -> u64 {
    let store = Store::open(path, config()).expect("reopen after the fault");
    let latest = store.latest_version().expect("not empty");
    match op {
        FaultOp::Read => assert_eq!(latest, BASE, "{ctx}"),
        // A write or sync failed inside the final flush, which had already
        // handed the new header to the file: either outcome is possible,
        // each whole, as after a crash during the commit.
        FaultOp::Write | FaultOp::Sync => {
            assert!(latest == BASE || latest == BASE + 1, "{ctx}: {latest}")
        }
    }
    for v in 0..=latest {
        let index = usize::try_from(v).expect("small");
        assert_eq!(
            store.root(v).expect("root"),
            expected.roots[index],
            "{ctx} v{v}"
        );
    }
    let index = usize::try_from(latest).expect("small");
    let want: Vec<(Vec<u8>, Vec<u8>)> = expected.models[index].clone().into_iter().collect();
    assert!(
        store.iter_prefix(b"").expect("iterate") == want,
        "{ctx}: the state differs from version {latest}"
    );
    for i in (0..KEYS).step_by(37) {
        let (value, proof) = store.get_with_proof(&key(i), latest).expect("proof");
        assert_eq!(value.as_ref(), expected.models[index].get(&key(i)), "{ctx}");
        proof
            .verify(expected.roots[index], &key(i), value.as_deref())
            .expect("proof verifies");
    }
    for v in 0..=BASE + 1 {
        let record = store.get_aux("blocks", &v.to_be_bytes()).expect("aux");
        assert_eq!(record.is_some(), v <= latest, "{ctx}: aux of version {v}");
    }
    // The store goes on from there.
    let next = latest + 1;
    let (writes, aux) = block(next);
    let root = store
        .commit(next, &writes, &aux)
        .expect("commit after reopen");
    if let Some(expected_root) = expected.roots.get(usize::try_from(next).expect("small")) {
        assert_eq!(root, *expected_root, "{ctx}");
    }
    latest
}

/// The fault positions to try among `per_commit` operations: all of them,
/// or [`trials`] of them spread evenly, the first and the last included.
fn positions(per_commit: u64) -> Vec<u64> {
    let trials = trials();
    if per_commit <= trials {
        return (0..per_commit).collect();
    }
    (0..trials)
        .map(|i| i * (per_commit - 1) / (trials - 1))
        .collect()
}

/// Runs one kind of fault at operations spread over a clean commit.
fn faults_at_every_operation(op: FaultOp, how: Path_) {
    let expected = expected();
    let base = base_db();

    // A clean run counts the operations of this kind that one commit does.
    let (_dir, store, faults) = open_copy(base.path());
    let before = faults.count(op);
    let root = write_next(&store, how).expect("clean commit");
    assert_eq!(
        root,
        expected.roots[usize::try_from(BASE + 1).expect("small")]
    );
    let per_commit = faults.count(op) - before;
    drop(store);
    assert!(per_commit > 0, "{op:?}: a commit does no such operation");

    let mut hit = 0;
    let mut outcomes = std::collections::BTreeMap::new();
    let positions = positions(per_commit);
    for &n in &positions {
        let ctx = format!("{op:?} fault from operation {n} of {per_commit} via {how:?}");
        let (dir, store, faults) = open_copy(base.path());
        faults.fail_after(op, n);
        let result = write_next(&store, how);
        if faults.injected(op) == 0 {
            // The operations of this run came in another order or number
            // than in the clean run, and the commit needed fewer: nothing
            // to check but that it succeeded.
            result.unwrap_or_else(|e| panic!("{ctx}: failed without a fault: {e}"));
            continue;
        }
        hit += 1;
        let error = match result {
            Ok(_) if op == FaultOp::Read => {
                // A read the commit did not depend on failed (for example
                // a background read): the commit stands, on disk too.
                drop(store);
                let reopened = Store::open(&db_path(dir.path()), config()).expect("reopen");
                assert_eq!(reopened.latest_version(), Some(BASE + 1), "{ctx}");
                continue;
            }
            Ok(_) => panic!("{ctx}: the commit returned Ok although its {op:?} failed"),
            Err(e) => e,
        };
        assert!(
            matches!(
                error,
                StoreError::CommitFailed { .. } | StoreError::Database(_)
            ),
            "{ctx}: not a storage error: {error:?}"
        );
        assert!(error.is_storage_failure(), "{ctx}");
        assert!(!error.to_string().is_empty());
        // The failed store refuses to go on, with errors, not panics.
        let _ = store.get(&key(1));
        assert!(
            write_next(&store, how).is_err(),
            "{ctx}: a second commit on a failed store"
        );
        drop(store);
        let latest = check_reopened(&db_path(dir.path()), &expected, op, &ctx);
        *outcomes.entry(latest).or_insert(0u32) += 1;
    }
    eprintln!(
        "{op:?} via {how:?}: {per_commit} operations per commit, {hit} faults injected, \
         reopened at (version: count) {outcomes:?}"
    );
    assert!(
        hit * 2 >= positions.len(),
        "{op:?}: too few faults were reached"
    );
}

#[test]
fn a_failed_read_during_a_commit_leaves_the_previous_version() {
    faults_at_every_operation(FaultOp::Read, Path_::CommitWith);
}

#[test]
fn a_failed_write_during_a_commit_leaves_one_whole_version() {
    faults_at_every_operation(FaultOp::Write, Path_::CommitWith);
}

#[test]
fn a_failed_fsync_during_a_commit_leaves_one_whole_version() {
    faults_at_every_operation(FaultOp::Sync, Path_::CommitWith);
}

#[test]
fn a_failed_read_during_prepare_or_apply_leaves_the_previous_version() {
    faults_at_every_operation(FaultOp::Read, Path_::PrepareApply);
}

#[test]
fn a_failed_write_during_an_apply_leaves_one_whole_version() {
    faults_at_every_operation(FaultOp::Write, Path_::PrepareApply);
}

#[test]
fn a_failed_fsync_during_an_apply_leaves_one_whole_version() {
    faults_at_every_operation(FaultOp::Sync, Path_::PrepareApply);
}

#[test]
fn failed_reads_are_typed_errors_everywhere() {
    let base = base_db();
    let (_dir, store, faults) = open_copy(base.path());
    let pending = store
        .prepare(BASE + 1, block(BASE + 1).0)
        .expect("prepare before the fault");
    faults.fail_reads_after(0);
    // Each read either is served from the cache or fails with a database
    // error; at least one of them has to go to the file.
    let mut errors = Vec::new();
    for i in 0..KEYS {
        if let Err(e) = store.get(&key(i)) {
            errors.push(e);
        }
    }
    errors.extend(store.snapshot().err());
    errors.extend(store.view(&pending).err());
    errors.extend(store.get_with_proof(&key(3), 1).err());
    errors.extend(store.iter_prefix(b"acct/").err());
    errors.extend(store.prepare(BASE + 1, block(BASE + 1).0).err());
    assert!(
        faults.injected(FaultOp::Read) > 0,
        "no read reached the file"
    );
    assert!(!errors.is_empty());
    for e in &errors {
        assert!(
            matches!(e, StoreError::Database(_)),
            "a failed read must be a database error: {e:?}"
        );
    }
    faults.heal();
}

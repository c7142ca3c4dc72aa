//! Pending blocks: prepare on committed or pending parents, read through
//! pending chains, apply in chain order, refuse discarded branches.

use molt_store::{AuxBatch, PreparedBlock, StateRead, Store, StoreError, WriteBatch};
use molt_types::Digest;

use crate::util::{Model, TempStore, apply, batch, no_aux, puts, reference_root};

/// Every key the tests below write, in several prefixes.
const KEYS: [&str; 12] = [
    "acct/a", "acct/b", "acct/c", "acct/d", "acct/e", "code/x", "code/y", "meta", "acct", "acc",
    "b", "z",
];

fn model_of(batches: &[&WriteBatch]) -> Model {
    let mut model = Model::new();
    for b in batches {
        apply(&mut model, b);
    }
    model
}

fn with_prefix(model: &Model, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    model
        .iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `state` holds exactly `model`: every key, every prefix, page by page,
/// and key by key through `next`.
fn assert_reads(state: &impl StateRead, model: &Model, ctx: &str) {
    for key in KEYS {
        assert_eq!(
            state.get(key.as_bytes()).expect("get").as_ref(),
            model.get(key.as_bytes()),
            "{ctx}: get {key}"
        );
    }
    for prefix in ["", "acct", "acct/", "code/", "acc", "q", "z"] {
        let want = with_prefix(model, prefix.as_bytes());
        let all = state
            .iter_prefix_page(prefix.as_bytes(), None, usize::MAX)
            .expect("iterate");
        assert_eq!(all, want, "{ctx}: prefix {prefix:?}");
        // Pages of two, each continuing after the last key of the previous one.
        let mut paged = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = state
                .iter_prefix_page(prefix.as_bytes(), after.as_deref(), 2)
                .expect("page");
            let Some(last) = page.last().map(|(k, _)| k.clone()) else {
                break;
            };
            paged.extend(page);
            after = Some(last);
        }
        assert_eq!(paged, want, "{ctx}: pages of prefix {prefix:?}");
        // The overlay's `next(prefix, after)` walk.
        let mut walked = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        while let Some((k, v)) = state
            .next(prefix.as_bytes(), after.as_deref())
            .expect("next")
        {
            after = Some(k.clone());
            walked.push((k, v));
        }
        assert_eq!(walked, want, "{ctx}: next over prefix {prefix:?}");
    }
}

/// Genesis and three blocks that overwrite, delete, resurrect and delete
/// again each other's keys.
fn genesis() -> WriteBatch {
    puts(&[
        ("acct/a", "a0"),
        ("acct/b", "b0"),
        ("acct/c", "c0"),
        ("code/x", "x0"),
        ("meta", "m0"),
        ("acc", "short"),
    ])
}

fn blocks() -> [WriteBatch; 3] {
    [
        batch(&[
            ("acct/a", Some("a1")),
            ("acct/b", None),
            ("acct/d", Some("d1")),
            ("code/x", None),
            ("z", Some("z1")),
        ]),
        batch(&[
            ("acct/b", Some("b2")),
            ("acct/d", None),
            ("acct/e", Some("e2")),
            ("code/y", Some("y2")),
            ("acc", None),
        ]),
        batch(&[
            ("acct/a", None),
            ("acct/b", None),
            ("acct/d", Some("d3")),
            ("code/x", Some("x3")),
            ("acct", Some("bare")),
            ("b", Some("b3")),
        ]),
    ]
}

fn committed_base() -> TempStore {
    let t = TempStore::archive();
    t.store.commit(0, &genesis(), &no_aux()).expect("genesis");
    t
}

/// Prepares `blocks` as one chain on the latest committed version.
fn chain(store: &Store, first: u64, blocks: &[WriteBatch]) -> Vec<PreparedBlock> {
    let mut out: Vec<PreparedBlock> = Vec::new();
    for (i, writes) in blocks.iter().enumerate() {
        let block = match out.last() {
            None => store.prepare(first, writes.clone()).expect("prepare"),
            Some(parent) => store
                .prepare_child(parent, writes.clone())
                .expect("prepare child"),
        };
        assert_eq!(block.version(), first + i as u64);
        out.push(block);
    }
    out
}

fn block_record(root: Digest) -> AuxBatch {
    let mut aux = AuxBatch::new();
    aux.put("blocks", b"head".to_vec(), root.0.to_vec());
    aux
}

#[test]
fn a_pending_chain_has_the_roots_and_reads_of_sequential_commits() {
    let t = committed_base();
    let blocks = blocks();
    let pending = chain(&t.store, 1, &blocks);

    // An independent store commits the same batches one by one.
    let sequential = committed_base();
    for (i, block) in pending.iter().enumerate() {
        let root = sequential
            .store
            .commit(i as u64 + 1, &blocks[i], &no_aux())
            .expect("sequential commit");
        assert_eq!(block.root(), root, "root of pending block {}", i + 1);
        assert_eq!(block.parent_version(), Some(i as u64));
    }

    // Each level sees exactly genesis and the blocks up to it.
    let g = genesis();
    for (i, block) in pending.iter().enumerate() {
        let mut layers = vec![&g];
        layers.extend(blocks.iter().take(i + 1));
        let model = model_of(&layers);
        assert_eq!(block.root(), reference_root(&model));
        let view = t.store.view(block).expect("view");
        assert_eq!(view.version(), i as u64 + 1);
        assert_eq!(view.root(), block.root());
        assert_eq!(view.committed_version(), Some(0));
        assert_eq!(view.pending_depth(), i + 1);
        assert_reads(&view, &model, &format!("pending level {}", i + 1));
    }

    // Nothing was written: the store is still at genesis, also on disk.
    assert_eq!(t.store.latest_version(), Some(0));
    assert_reads(&t.store, &model_of(&[&g]), "committed during pending");
    drop(pending);
    let t = t.reopen(molt_store::StoreConfig::archive());
    assert_eq!(t.store.latest_version(), Some(0));
    assert_reads(&t.store, &model_of(&[&g]), "reopened after pending");
}

#[test]
fn applying_a_chain_in_order_equals_committing_it() {
    let t = committed_base();
    let blocks = blocks();
    let pending = chain(&t.store, 1, &blocks);
    let sequential = committed_base();
    for (i, writes) in blocks.iter().enumerate() {
        let version = i as u64 + 1;
        sequential
            .store
            .commit_with(version, writes, block_record)
            .expect("sequential");
    }

    // A child cannot go before its parent.
    assert!(matches!(
        t.store.apply(&pending[1], no_aux_for),
        Err(StoreError::ParentNotApplied {
            version: 2,
            pending: 1
        })
    ));
    assert!(matches!(
        t.store.apply(&pending[2], no_aux_for),
        Err(StoreError::ParentNotApplied {
            version: 3,
            pending: 1
        })
    ));
    assert_eq!(t.store.latest_version(), Some(0));

    for (i, block) in pending.iter().enumerate() {
        let version = i as u64 + 1;
        let mut seen = None;
        let root = t
            .store
            .apply(block, |root| {
                seen = Some(root);
                block_record(root)
            })
            .expect("apply");
        assert_eq!(
            seen,
            Some(block.root()),
            "aux is built from the block's root"
        );
        assert_eq!(root, block.root());
        assert!(block.is_applied());
        assert_eq!(t.store.latest_version(), Some(version));
        assert_eq!(t.store.root(version).expect("root"), block.root());
        assert_eq!(
            t.store.get_aux("blocks", b"head").expect("aux"),
            Some(block.root().0.to_vec())
        );
        // The rest of the chain is still pending, now over this version.
        if let Some(child) = pending.get(i + 1) {
            let view = t.store.view(child).expect("child view");
            assert_eq!(view.committed_version(), Some(version));
            assert_eq!(view.pending_depth(), 1);
            let last = t.store.view(&pending[2]).expect("view of the last");
            assert_eq!(last.pending_depth(), pending.len() - i - 1);
        }
    }

    // The same database as committing one by one: roots, history, proofs, records.
    for version in 0..=3 {
        assert_eq!(
            t.store.root(version).expect("root"),
            sequential.store.root(version).expect("root")
        );
        for key in KEYS {
            assert_eq!(
                t.store.get_at(key.as_bytes(), version).expect("get_at"),
                sequential
                    .store
                    .get_at(key.as_bytes(), version)
                    .expect("get_at")
            );
            let (value, proof) = t
                .store
                .get_with_proof(key.as_bytes(), version)
                .expect("proof");
            proof
                .verify(
                    t.store.root(version).expect("root"),
                    key.as_bytes(),
                    value.as_deref(),
                )
                .expect("proof verifies");
        }
    }
    assert_eq!(
        t.store.stats().expect("stats"),
        sequential.store.stats().expect("stats")
    );
    assert_eq!(
        t.store.iter_prefix(b"").expect("iterate"),
        sequential.store.iter_prefix(b"").expect("iterate")
    );

    // Applied twice: refused, nothing changes.
    for block in &pending {
        assert!(matches!(
            t.store.apply(block, no_aux_for),
            Err(StoreError::AlreadyApplied { version }) if version == block.version()
        ));
    }
    assert_eq!(t.store.latest_version(), Some(3));

    // The last block's view is the committed state; older ones are superseded.
    let view = t
        .store
        .view(&pending[2])
        .expect("view of the committed tip");
    assert_eq!(view.pending_depth(), 0);
    assert_reads(
        &view,
        &model_of(&[&genesis(), &blocks[0], &blocks[1], &blocks[2]]),
        "view of the applied tip",
    );
    assert!(matches!(
        t.store.view(&pending[0]),
        Err(StoreError::Superseded {
            version: 1,
            latest: 3
        })
    ));

    // A child of the applied tip is prepared on the committed state.
    let next = t
        .store
        .prepare_child(&pending[2], puts(&[("acct/f", "f4")]))
        .expect("child of the applied tip");
    assert_eq!(next.version(), 4);
    let also = t
        .store
        .prepare(4, puts(&[("acct/f", "f4")]))
        .expect("prepare on latest");
    assert_eq!(next.root(), also.root());
    t.store.apply(&next, no_aux_for).expect("apply 4");
    // `also` was a sibling of `next`.
    assert!(matches!(
        t.store.apply(&also, no_aux_for),
        Err(StoreError::BranchDiscarded {
            version: 4,
            latest: Some(4)
        })
    ));
}

fn no_aux_for(_: Digest) -> AuxBatch {
    AuxBatch::new()
}

#[test]
fn siblings_fork_and_only_the_applied_branch_survives() {
    let t = committed_base();
    let left = t
        .store
        .prepare(1, puts(&[("acct/a", "left"), ("acct/d", "d-left")]))
        .expect("left");
    let right = t
        .store
        .prepare(1, batch(&[("acct/a", Some("right")), ("acct/b", None)]))
        .expect("right");
    assert_ne!(left.root(), right.root());
    let right_child = t
        .store
        .prepare_child(&right, puts(&[("z", "on the right")]))
        .expect("child of right");
    let left_child = t
        .store
        .prepare_child(&left, puts(&[("z", "on the left")]))
        .expect("child of left");

    // Each branch reads its own writes.
    let g = genesis();
    let left_model = model_of(&[&g, left.writes()]);
    let right_model = model_of(&[&g, right.writes()]);
    assert_reads(&t.store.view(&left).expect("view"), &left_model, "left");
    assert_reads(&t.store.view(&right).expect("view"), &right_model, "right");
    assert_reads(
        &t.store.view(&right_child).expect("view"),
        &model_of(&[&g, right.writes(), right_child.writes()]),
        "right child",
    );

    t.store.apply(&left, block_record).expect("apply left");

    // The right branch is refused everywhere, with the same typed error.
    let discarded = |r: Result<_, StoreError>, version| {
        assert!(
            matches!(r, Err(StoreError::BranchDiscarded { version: v, latest: Some(1) }) if v == version),
            "{r:?}"
        );
    };
    discarded(t.store.apply(&right, no_aux_for).map(|_| ()), 1);
    discarded(t.store.apply(&right_child, no_aux_for).map(|_| ()), 2);
    discarded(t.store.view(&right).map(|_| ()), 1);
    discarded(t.store.view(&right_child).map(|_| ()), 2);
    discarded(
        t.store
            .prepare_child(&right_child, WriteBatch::new())
            .map(|_| ()),
        2,
    );

    // The committed state is the left branch, aux included.
    assert_eq!(t.store.latest_version(), Some(1));
    assert_eq!(t.store.root(1).expect("root"), left.root());
    assert_reads(&t.store, &left_model, "committed after left");
    assert_eq!(
        t.store.get_aux("blocks", b"head").expect("aux"),
        Some(left.root().0.to_vec())
    );

    // The left branch goes on: its child applies.
    let root = t.store.apply(&left_child, no_aux_for).expect("left child");
    assert_eq!(root, left_child.root());
    assert_eq!(
        t.store.get(b"z").expect("get"),
        Some(b"on the left".to_vec())
    );
}

#[test]
fn a_block_committed_by_commit_with_discards_pending_siblings() {
    let t = committed_base();
    let pending = t.store.prepare(1, puts(&[("a", "1")])).expect("prepare");
    let child = t
        .store
        .prepare_child(&pending, puts(&[("b", "2")]))
        .expect("child");
    t.store
        .commit(1, &puts(&[("a", "1")]), &no_aux())
        .expect("commit");
    // Same writes, same root, but not the same block: the store cannot tell
    // that the pending tree nodes match what was committed, so it refuses.
    assert!(matches!(
        t.store.apply(&pending, no_aux_for),
        Err(StoreError::BranchDiscarded { version: 1, .. })
    ));
    assert!(matches!(
        t.store.apply(&child, no_aux_for),
        Err(StoreError::BranchDiscarded { version: 2, .. })
    ));
}

#[test]
fn prepared_blocks_belong_to_one_open_store() {
    let a = committed_base();
    let b = committed_base();
    let block = a.store.prepare(1, puts(&[("k", "v")])).expect("prepare");
    assert!(matches!(
        b.store.apply(&block, no_aux_for),
        Err(StoreError::ForeignBlock { version: 1 })
    ));
    assert!(matches!(
        b.store.view(&block),
        Err(StoreError::ForeignBlock { version: 1 })
    ));
    assert!(matches!(
        b.store.prepare_child(&block, WriteBatch::new()),
        Err(StoreError::ForeignBlock { version: 1 })
    ));
    // A reopened store is another store: pending blocks do not survive it.
    let a = a.reopen(molt_store::StoreConfig::archive());
    assert!(matches!(
        a.store.apply(&block, no_aux_for),
        Err(StoreError::ForeignBlock { version: 1 })
    ));
    assert_eq!(a.store.latest_version(), Some(0));
}

#[test]
fn prepare_checks_versions_and_sizes_like_commit() {
    let t = committed_base();
    assert!(matches!(
        t.store.prepare(5, WriteBatch::new()),
        Err(StoreError::UnexpectedVersion {
            expected: 1,
            got: 5
        })
    ));
    let mut big = WriteBatch::new();
    big.put(vec![0u8; molt_store::MAX_KEY_BYTES + 1], b"v".to_vec());
    assert!(matches!(
        t.store.prepare(1, big.clone()),
        Err(StoreError::KeyTooLarge { .. })
    ));
    let ok = t.store.prepare(1, WriteBatch::new()).expect("empty block");
    assert!(matches!(
        t.store.prepare_child(&ok, big),
        Err(StoreError::KeyTooLarge { .. })
    ));
    // An empty block keeps the root.
    assert_eq!(ok.root(), t.store.root(0).expect("root"));
    // Aux data is checked when the block is applied; nothing is written.
    let refused = t.store.apply(&ok, |_| {
        let mut aux = AuxBatch::new();
        aux.put("Not A Namespace", b"k".to_vec(), b"v".to_vec());
        aux
    });
    assert!(matches!(refused, Err(StoreError::InvalidNamespace { .. })));
    assert!(!ok.is_applied());
    assert_eq!(t.store.latest_version(), Some(0));
    t.store
        .apply(&ok, no_aux_for)
        .expect("apply after a refused aux");
}

#[test]
fn chains_on_an_empty_store_match_commits_from_any_first_version() {
    for first in [0u64, 7] {
        let t = TempStore::archive();
        let sequential = TempStore::archive();
        let blocks = blocks();
        let pending = chain(&t.store, first, &blocks);
        assert_eq!(pending[0].parent_version(), None);
        for (i, block) in pending.iter().enumerate() {
            let version = first + i as u64;
            let root = sequential
                .store
                .commit(version, &blocks[i], &no_aux())
                .expect("commit");
            assert_eq!(block.root(), root, "first {first}, block {i}");
            assert_eq!(t.store.view(block).expect("view").committed_version(), None);
        }
        for block in &pending {
            t.store.apply(block, no_aux_for).expect("apply");
        }
        assert_eq!(t.store.latest_version(), Some(first + 2));
        assert_eq!(
            t.store.stats().expect("stats"),
            sequential.store.stats().expect("stats")
        );
    }
}

#[test]
fn views_and_snapshots_stay_on_the_state_they_pinned() {
    let t = committed_base();
    let block = t
        .store
        .prepare(1, batch(&[("acct/a", Some("a1")), ("acct/b", None)]))
        .expect("prepare");
    let child = t
        .store
        .prepare_child(&block, puts(&[("acct/c", "c2")]))
        .expect("child");
    let snapshot = t.store.snapshot().expect("snapshot");
    let view = t.store.view(&child).expect("view");
    let g = genesis();
    let genesis_model = model_of(&[&g]);
    let child_model = model_of(&[&g, block.writes(), child.writes()]);

    // Commits after the pin are invisible to it.
    t.store.apply(&block, no_aux_for).expect("apply");
    t.store.apply(&child, no_aux_for).expect("apply child");
    t.store
        .commit(3, &puts(&[("acct/a", "a3"), ("new", "n3")]), &no_aux())
        .expect("commit 3");

    assert_eq!(snapshot.latest_version(), Some(0));
    assert_reads(&snapshot, &genesis_model, "snapshot pinned at genesis");
    assert_eq!(
        snapshot.latest_root().expect("root"),
        Some(t.store.root(0).expect("root 0"))
    );
    assert!(matches!(
        snapshot.root(1),
        Err(StoreError::UnknownVersion { version: 1, .. })
    ));
    assert_eq!(view.committed_version(), Some(0));
    assert_reads(&view, &child_model, "view pinned before the applies");

    // A new snapshot sees everything, historical reads included.
    let now = t.store.snapshot().expect("snapshot");
    assert_eq!(now.latest_version(), Some(3));
    assert_eq!(now.get(b"new").expect("get"), Some(b"n3".to_vec()));
    assert_eq!(
        now.get_at(b"acct/a", 1).expect("get_at"),
        Some(b"a1".to_vec())
    );
    let (value, proof) = now.get_with_proof(b"acct/c", 2).expect("proof");
    assert_eq!(value, Some(b"c2".to_vec()));
    proof
        .verify(child.root(), b"acct/c", Some(b"c2"))
        .expect("proof against the applied block's root");
}

#[test]
fn pending_state_can_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<PreparedBlock>();
    send_sync::<molt_store::PendingView>();
    send_sync::<molt_store::Snapshot>();
    send_sync::<Store>();

    // A block prepared on one thread is read and extended on others.
    let t = committed_base();
    let block = t
        .store
        .prepare(1, puts(&[("acct/a", "t1")]))
        .expect("prepare");
    std::thread::scope(|scope| {
        let readers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let view = t.store.view(&block).expect("view");
                    view.get(b"acct/a").expect("get")
                })
            })
            .collect();
        for reader in readers {
            assert_eq!(reader.join().expect("reader"), Some(b"t1".to_vec()));
        }
    });
}

//! Pruning: what is deleted, what stays readable and provable.

use std::num::NonZeroU64;

use molt_store::{StoreConfig, StoreError, WriteBatch};

use crate::util::{Model, TempStore, apply, no_aux, reference_root};

fn keep(n: u64) -> StoreConfig {
    StoreConfig::keep_latest(NonZeroU64::new(n).expect("non-zero"))
}

/// Version `v` overwrites keys `k0..k20`, deletes one of them and adds one
/// fresh key, so every version leaves stale nodes and superseded values.
fn block(v: u64) -> WriteBatch {
    let mut writes = WriteBatch::new();
    for i in 0..20u64 {
        writes.put(format!("k{i}"), format!("{v}:{i}"));
    }
    writes.delete(format!("k{}", v % 20));
    writes.put(format!("fresh{v}"), v.to_be_bytes());
    writes
}

#[test]
fn kept_versions_match_an_unpruned_store() {
    let archive = TempStore::archive();
    let pruned = TempStore::new(keep(3));
    let mut models: Vec<Model> = Vec::new();
    let mut model = Model::new();
    for v in 0u64..10 {
        let writes = block(v);
        apply(&mut model, &writes);
        models.push(model.clone());
        let a = archive
            .store
            .commit(v, &writes, &no_aux())
            .expect("archive commit");
        let p = pruned
            .store
            .commit(v, &writes, &no_aux())
            .expect("pruned commit");
        assert_eq!(a, p, "pruning never changes a root");
    }
    assert_eq!(pruned.store.oldest_version(), Some(7));
    for v in 0u64..7 {
        assert!(matches!(
            pruned.store.root(v),
            Err(StoreError::VersionPruned { version, oldest: 7 }) if version == v
        ));
        assert!(matches!(
            pruned.store.get_at(b"k1", v),
            Err(StoreError::VersionPruned { .. })
        ));
        assert!(matches!(
            pruned.store.get_with_proof(b"k1", v),
            Err(StoreError::VersionPruned { .. })
        ));
        // The archive still has them.
        archive.store.root(v).expect("archive keeps every version");
    }
    for v in 7u64..10 {
        let root = pruned.store.root(v).expect("kept root");
        assert_eq!(root, reference_root(&models[v as usize]));
        for key in ["k0", "k1", "k7", "k8", "k9", "fresh0", "fresh8", "absent"] {
            let want = models[v as usize].get(key.as_bytes()).cloned();
            assert_eq!(
                pruned.store.get_at(key.as_bytes(), v).expect("get_at"),
                want
            );
            let (value, proof) = pruned
                .store
                .get_with_proof(key.as_bytes(), v)
                .expect("proof");
            assert_eq!(value, want);
            proof
                .verify(root, key.as_bytes(), value.as_deref())
                .expect("proof at a kept version");
        }
    }
}

#[test]
fn keeping_one_version_leaves_only_the_latest_tree() {
    let pruned = TempStore::new(keep(1));
    let mut model = Model::new();
    for v in 0u64..12 {
        let writes = block(v);
        apply(&mut model, &writes);
        pruned.store.commit(v, &writes, &no_aux()).expect("commit");
    }
    // A store holding only the final state, committed once.
    let fresh = TempStore::archive();
    let writes: WriteBatch = model
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    fresh
        .store
        .commit(0, &writes, &no_aux())
        .expect("fresh commit");

    let p = pruned.store.stats().expect("stats");
    let f = fresh.store.stats().expect("stats");
    assert_eq!(p.live_keys, model.len() as u64);
    assert_eq!(
        p.value_records,
        model.len() as u64,
        "one value record per live key: {p:?}"
    );
    assert_eq!(
        p.tree_nodes, f.tree_nodes,
        "only the latest tree's nodes remain: {p:?}"
    );
    assert_eq!(p.stale_values, 0);
    assert_eq!(p.stale_nodes, 0);

    let archive = TempStore::archive();
    for v in 0u64..12 {
        archive
            .store
            .commit(v, &block(v), &no_aux())
            .expect("commit");
    }
    let a = archive.store.stats().expect("stats");
    assert!(
        a.value_records > 3 * p.value_records,
        "archive keeps history: {a:?}"
    );
    assert!(
        a.tree_nodes > 3 * p.tree_nodes,
        "archive keeps history: {a:?}"
    );
}

#[test]
fn explicit_pruning() {
    let t = TempStore::archive();
    for v in 0u64..6 {
        t.store.commit(v, &block(v), &no_aux()).expect("commit");
    }
    let before = t.store.stats().expect("stats");
    assert_eq!(t.store.prune().expect("archive prune is a no-op"), Some(0));
    assert_eq!(t.store.prune_before(3).expect("prune"), 3);
    assert!(t.store.stats().expect("stats").tree_nodes < before.tree_nodes);
    assert!(matches!(
        t.store.root(2),
        Err(StoreError::VersionPruned { .. })
    ));
    t.store.root(3).expect("version 3 is kept");
    assert_eq!(
        t.store.get_at(b"k1", 3).expect("get_at"),
        Some(b"3:1".to_vec())
    );
    assert_eq!(
        t.store.get_at(b"k3", 3).expect("get_at"),
        None,
        "deleted at 3"
    );
    assert_eq!(t.store.prune_before(1).expect("already pruned"), 3);
    assert!(matches!(
        t.store.prune_before(6),
        Err(StoreError::PruneBeyondLatest {
            requested: 6,
            latest: Some(5)
        })
    ));
    // The latest version itself may become the only one.
    assert_eq!(t.store.prune_before(5).expect("prune to latest"), 5);
    t.store
        .commit(6, &block(6), &no_aux())
        .expect("commits continue");

    // Reopening with a bound prunes on demand, and from then on per commit.
    let t = t.reopen(keep(1));
    assert_eq!(t.store.oldest_version(), Some(5));
    assert_eq!(t.store.prune().expect("prune"), Some(6));
    assert!(matches!(
        t.store.root(5),
        Err(StoreError::VersionPruned { .. })
    ));
    t.store.commit(7, &block(7), &no_aux()).expect("commit");
    assert_eq!(t.store.oldest_version(), Some(7));
}

#[test]
fn pruning_on_an_empty_store_is_refused() {
    let t = TempStore::archive();
    assert!(matches!(
        t.store.prune_before(0),
        Err(StoreError::PruneBeyondLatest { latest: None, .. })
    ));
}

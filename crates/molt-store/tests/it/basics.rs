//! Commits, reads, versions, deletes, prefix iteration, aux data, version
//! errors and reopening.

use molt_store::{AuxBatch, MAX_KEY_BYTES, StoreConfig, StoreError, WriteBatch};

use crate::util::{TempStore, batch, no_aux, puts, reference_root};

#[test]
fn commit_then_read_latest() {
    let t = TempStore::archive();
    assert_eq!(t.store.latest_version(), None);
    assert_eq!(t.store.latest_root().expect("latest root"), None);

    let root = t
        .store
        .commit(0, &puts(&[("a", "1"), ("b", "2")]), &no_aux())
        .expect("commit");
    assert_eq!(t.store.latest_version(), Some(0));
    assert_eq!(t.store.latest_root().expect("latest root"), Some(root));
    assert_eq!(t.store.root(0).expect("root 0"), root);
    assert_eq!(t.store.get(b"a").expect("get"), Some(b"1".to_vec()));
    assert_eq!(t.store.get(b"b").expect("get"), Some(b"2".to_vec()));
    assert_eq!(t.store.get(b"c").expect("get"), None);
    assert_eq!(
        t.store.get_at(b"a", 0).expect("get_at"),
        Some(b"1".to_vec())
    );
}

#[test]
fn historical_reads_see_each_version() {
    let t = TempStore::archive();
    let r0 = t
        .store
        .commit(0, &puts(&[("a", "1")]), &no_aux())
        .expect("v0");
    let r1 = t
        .store
        .commit(1, &puts(&[("a", "2"), ("b", "1")]), &no_aux())
        .expect("v1");
    let r2 = t
        .store
        .commit(2, &batch(&[("a", None::<&str>)]), &no_aux())
        .expect("v2");

    let at = |key: &str, v| t.store.get_at(key.as_bytes(), v).expect("get_at");
    assert_eq!(at("a", 0), Some(b"1".to_vec()));
    assert_eq!(at("a", 1), Some(b"2".to_vec()));
    assert_eq!(at("a", 2), None);
    assert_eq!(at("b", 0), None);
    assert_eq!(at("b", 2), Some(b"1".to_vec()));
    assert_eq!(t.store.get(b"a").expect("get"), None);

    assert_ne!(r0, r1);
    assert_ne!(r1, r2);
    assert_eq!(t.store.root(1).expect("root 1"), r1);
    assert!(matches!(
        t.store.root(3),
        Err(StoreError::UnknownVersion {
            version: 3,
            latest: Some(2)
        })
    ));
    assert!(matches!(
        t.store.get_at(b"a", 9),
        Err(StoreError::UnknownVersion { .. })
    ));
}

#[test]
fn deletes_restore_the_earlier_root() {
    let t = TempStore::archive();
    let r0 = t
        .store
        .commit(0, &puts(&[("a", "1")]), &no_aux())
        .expect("v0");
    t.store
        .commit(1, &puts(&[("b", "1")]), &no_aux())
        .expect("v1");
    let r2 = t
        .store
        .commit(2, &batch(&[("b", None::<&str>)]), &no_aux())
        .expect("v2");
    assert_eq!(
        r2, r0,
        "the root depends on the contents, not on the history"
    );

    // Deleting an absent key changes nothing.
    let r3 = t
        .store
        .commit(3, &batch(&[("zzz", None::<&str>)]), &no_aux())
        .expect("v3");
    assert_eq!(r3, r2);
    // An empty batch still makes a version with the same root.
    let r4 = t
        .store
        .commit(4, &WriteBatch::new(), &no_aux())
        .expect("v4");
    assert_eq!(r4, r2);
    assert_eq!(
        t.store.get_at(b"a", 4).expect("get_at"),
        Some(b"1".to_vec())
    );

    // Deleting everything gives the root of the empty map.
    let r5 = t
        .store
        .commit(5, &batch(&[("a", None::<&str>)]), &no_aux())
        .expect("v5");
    assert_eq!(r5, reference_root(&Default::default()));
    assert!(t.store.iter_prefix(b"").expect("iter").is_empty());
}

#[test]
fn prefix_iteration_is_in_raw_key_order() {
    let t = TempStore::archive();
    let keys: [&[u8]; 9] = [
        b"acc/2",
        b"acc/10",
        b"acc0",
        b"ab",
        b"acc/",
        b"acc/1",
        b"acc/\xff",
        b"acc/\x00",
        b"b",
    ];
    let mut writes = WriteBatch::new();
    for key in keys {
        writes.put(key, [b"v:", key].concat());
    }
    t.store.commit(0, &writes, &no_aux()).expect("v0");
    t.store
        .commit(
            1,
            &batch(&[(b"acc/10".as_slice(), None::<&[u8]>)]),
            &no_aux(),
        )
        .expect("v1");

    let got: Vec<Vec<u8>> = t
        .store
        .iter_prefix(b"acc/")
        .expect("iter")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let want: Vec<&[u8]> = vec![b"acc/", b"acc/\x00", b"acc/1", b"acc/2", b"acc/\xff"];
    assert_eq!(got, want);
    for (key, value) in t.store.iter_prefix(b"acc/").expect("iter") {
        assert_eq!(value, [b"v:".as_slice(), &key].concat());
    }
    assert_eq!(
        t.store.iter_prefix(b"").expect("iter all").len(),
        keys.len() - 1
    );
    assert!(t.store.iter_prefix(b"zz").expect("iter none").is_empty());

    // Pages of two, each continuing after the previous page's last key.
    let mut paged = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = t
            .store
            .iter_prefix_page(b"acc/", after.as_deref(), 2)
            .expect("page");
        assert!(page.len() <= 2);
        let Some((last, _)) = page.last() else { break };
        after = Some(last.clone());
        paged.extend(page.into_iter().map(|(k, _)| k));
    }
    assert_eq!(paged, want);
    // A cursor before the prefix starts at the prefix.
    let first = t
        .store
        .iter_prefix_page(b"acc/", Some(b"a"), 1)
        .expect("page");
    assert_eq!(first[0].0, b"acc/".to_vec());
}

#[test]
fn aux_is_committed_with_the_version_and_only_then() {
    let t = TempStore::archive();
    let mut aux = AuxBatch::new();
    aux.put("blocks", 0u64.to_be_bytes(), b"block 0".to_vec());
    aux.put("receipts", b"tx1".to_vec(), b"ok".to_vec());
    t.store.commit(0, &puts(&[("a", "1")]), &aux).expect("v0");
    assert_eq!(
        t.store.get_aux("blocks", &0u64.to_be_bytes()).expect("aux"),
        Some(b"block 0".to_vec())
    );
    assert_eq!(
        t.store.get_aux("receipts", b"tx1").expect("aux"),
        Some(b"ok".to_vec())
    );
    assert_eq!(
        t.store.get_aux("blocks", b"tx1").expect("aux"),
        None,
        "namespaces are separate"
    );

    // A refused commit writes neither its state nor its aux data.
    let mut refused = AuxBatch::new();
    refused.put("blocks", 5u64.to_be_bytes(), b"block 5".to_vec());
    let err = t
        .store
        .commit(5, &puts(&[("a", "5")]), &refused)
        .expect_err("wrong version");
    assert!(matches!(
        err,
        StoreError::UnexpectedVersion {
            expected: 1,
            got: 5
        }
    ));
    assert_eq!(
        t.store.get_aux("blocks", &5u64.to_be_bytes()).expect("aux"),
        None
    );
    assert_eq!(t.store.get(b"a").expect("get"), Some(b"1".to_vec()));

    let mut too_big_key = WriteBatch::new();
    too_big_key.put(vec![7u8; MAX_KEY_BYTES + 1], b"x".to_vec());
    let err = t
        .store
        .commit(1, &too_big_key, &refused)
        .expect_err("oversized key");
    assert!(matches!(err, StoreError::KeyTooLarge { .. }));
    assert_eq!(
        t.store.get_aux("blocks", &5u64.to_be_bytes()).expect("aux"),
        None
    );
    assert_eq!(t.store.latest_version(), Some(0));

    // Ordered range reads with pagination, and deletes.
    let mut more = AuxBatch::new();
    for h in 1u64..=4 {
        more.put("blocks", h.to_be_bytes(), format!("block {h}").into_bytes());
    }
    more.delete("receipts", b"tx1".to_vec());
    t.store.commit(1, &WriteBatch::new(), &more).expect("v1");
    let all = t.store.aux_range("blocks", None, 100).expect("range");
    let heights: Vec<Vec<u8>> = all.iter().map(|(k, _)| k.clone()).collect();
    let want: Vec<Vec<u8>> = (0u64..=4).map(|h| h.to_be_bytes().to_vec()).collect();
    assert_eq!(heights, want);
    let page = t
        .store
        .aux_range("blocks", Some(&2u64.to_be_bytes()), 1)
        .expect("page");
    assert_eq!(
        page,
        vec![(3u64.to_be_bytes().to_vec(), b"block 3".to_vec())]
    );
    assert_eq!(t.store.get_aux("receipts", b"tx1").expect("aux"), None);
    assert!(
        t.store
            .aux_range("receipts", None, 10)
            .expect("range")
            .is_empty()
    );

    let err = t
        .store
        .get_aux("Bad Name", b"k")
        .expect_err("invalid namespace");
    assert!(matches!(err, StoreError::InvalidNamespace { .. }));
    let mut bad = AuxBatch::new();
    bad.put("", b"k".to_vec(), b"v".to_vec());
    assert!(matches!(
        t.store.commit(2, &WriteBatch::new(), &bad),
        Err(StoreError::InvalidNamespace { .. })
    ));
}

#[test]
fn versions_must_follow_the_latest() {
    let t = TempStore::archive();
    assert!(matches!(
        t.store.commit(u64::MAX, &WriteBatch::new(), &no_aux()),
        Err(StoreError::VersionOverflow { .. })
    ));
    let r0 = t
        .store
        .commit(0, &puts(&[("a", "1")]), &no_aux())
        .expect("v0");
    for wrong in [0, 2, 100] {
        match t.store.commit(wrong, &puts(&[("a", "x")]), &no_aux()) {
            Err(StoreError::UnexpectedVersion { expected: 1, got }) => assert_eq!(got, wrong),
            other => panic!("commit of {wrong} after 0 must be refused, got {other:?}"),
        }
    }
    assert_eq!(t.store.latest_version(), Some(0));
    assert_eq!(t.store.latest_root().expect("root"), Some(r0));
    assert_eq!(t.store.get(b"a").expect("get"), Some(b"1".to_vec()));
    t.store
        .commit(1, &puts(&[("a", "2")]), &no_aux())
        .expect("v1 is accepted");
}

#[test]
fn first_version_may_start_above_zero() {
    let genesis = TempStore::archive();
    let late = TempStore::archive();
    let writes = puts(&[("a", "1"), ("b", "2")]);
    let r_genesis = genesis.store.commit(0, &writes, &no_aux()).expect("v0");
    let r_late = late.store.commit(100, &writes, &no_aux()).expect("v100");
    assert_eq!(r_late, r_genesis);
    assert!(matches!(
        late.store.root(99),
        Err(StoreError::UnknownVersion { .. })
    ));
    let r101 = late
        .store
        .commit(101, &puts(&[("c", "3")]), &no_aux())
        .expect("v101");
    let r1 = genesis
        .store
        .commit(1, &puts(&[("c", "3")]), &no_aux())
        .expect("v1");
    assert_eq!(r101, r1);
}

#[test]
fn empty_store_has_no_versions() {
    let t = TempStore::archive();
    assert!(matches!(
        t.store.root(0),
        Err(StoreError::UnknownVersion { latest: None, .. })
    ));
    assert!(matches!(
        t.store.get_at(b"a", 0),
        Err(StoreError::UnknownVersion { .. })
    ));
    assert!(matches!(
        t.store.get_with_proof(b"a", 0),
        Err(StoreError::UnknownVersion { .. })
    ));
    assert_eq!(t.store.get(b"a").expect("get"), None);
    assert_eq!(t.store.prune().expect("prune"), None);
}

#[test]
fn reopen_restores_latest_version_and_root() {
    let t = TempStore::archive();
    let mut roots = Vec::new();
    for v in 0u64..5 {
        let mut aux = AuxBatch::new();
        aux.put("blocks", v.to_be_bytes(), format!("block {v}").into_bytes());
        let writes = puts(&[("counter", &v.to_string()), (&format!("k{v}"), "x")]);
        roots.push(t.store.commit(v, &writes, &aux).expect("commit"));
    }
    let t = t.reopen(StoreConfig::archive());
    assert_eq!(t.store.latest_version(), Some(4));
    assert_eq!(t.store.oldest_version(), Some(0));
    assert_eq!(t.store.latest_root().expect("root"), roots.last().copied());
    for (v, root) in roots.iter().enumerate() {
        assert_eq!(t.store.root(v as u64).expect("root"), *root);
    }
    assert_eq!(t.store.get(b"counter").expect("get"), Some(b"4".to_vec()));
    assert_eq!(
        t.store.get_at(b"counter", 2).expect("get_at"),
        Some(b"2".to_vec())
    );
    assert_eq!(
        t.store.get_aux("blocks", &4u64.to_be_bytes()).expect("aux"),
        Some(b"block 4".to_vec())
    );
    assert!(matches!(
        t.store.commit(4, &WriteBatch::new(), &no_aux()),
        Err(StoreError::UnexpectedVersion {
            expected: 5,
            got: 4
        })
    ));
    t.store
        .commit(5, &puts(&[("counter", "5")]), &no_aux())
        .expect("resume at 5");
}

#[test]
fn invalid_config_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = StoreConfig {
        cache_bytes: 10,
        ..StoreConfig::archive()
    };
    let err = molt_store::Store::open(&dir.path().join("s.redb"), config).expect_err("tiny cache");
    assert!(matches!(err, StoreError::InvalidConfig(_)));
    let err = molt_store::Store::open(
        &dir.path().join("missing/dir/s.redb"),
        StoreConfig::archive(),
    )
    .expect_err("missing directory");
    assert!(matches!(err, StoreError::Open { .. }), "{err}");
}
